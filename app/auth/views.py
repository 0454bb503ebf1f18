"""Account pages: sign-up, sign-in, sign-out, password reset, profile, API tokens."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from wtforms.widgets import PasswordInput

from .. import hooks
from ..confirm import back_to, confirmation_page
from ..errors import DomainError
from ..extensions import db, limiter, login_manager
from ..i18n import select_locale
from ..timeutil import utcnow
from ..web import safe_next, show_domain_error
from . import bp
from .email_change import (
    apply_email_change,
    ask_for_email_change,
    change_from_token,
    check_new_email,
)
from .forms import (
    ChangePasswordForm,
    EmailChangeForm,
    ProfileForm,
    QuietHoursForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignInForm,
    SignUpForm,
    TokenForm,
)
from .limits import (
    count_email_change,
    count_reset_request,
    count_signup,
    forget_failures,
    signin_limits,
)
from .models import ApiToken, User
from .reset import ask_for_reset, user_from_reset_token
from .services import (
    REACTIVATION_DAYS,
    can_sign_in,
    check_password,
    create_api_token,
    create_user,
    find_user_by_email,
    reactivate_if_deactivated,
    set_password,
)
from .sessions import active_sessions, end_session, end_sessions, start_session
from .verify import ask_for_confirmation, mark_verified, user_from_confirmation_token

login_manager.login_view = "auth.signin"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"


def _sign_in(user: User, *, remember: bool = False) -> None:
    """Start a server-side session for this browser and put it in its cookies."""
    start_session(user, user_agent=request.headers.get("User-Agent", ""), now=utcnow())
    login_user(user, remember=remember)


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Create an account and sign in."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = SignUpForm()
    if form.validate_on_submit():
        count_signup()
        try:
            user = create_user(
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                locale=session.get("locale"),
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            ask_for_confirmation(user, now=utcnow())
            _sign_in(user)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.name), "success")
            target = safe_next(request.args.get("next"), url_for("dashboard.index"))
            # Came from an invitation's link: straight into the group (app/hooks.py).
            landing = hooks.after_signup.first(user, next=target, now=utcnow())
            if landing is not None:
                flash(landing.message, "success")
                return redirect(landing.url)
            flash(
                _(
                    "We have sent you an email with a link to confirm your address. "
                    "Invitations sent to it appear here once it is confirmed."
                ),
                "info",
            )
            return redirect(target)
    if form.errors and not (form.password.errors or form.confirm.errors):
        # The password is kept when the error is elsewhere (a taken address, a name too
        # long): retyping two long passwords on a phone for someone else's mistake is
        # what people complained of. It goes back only to the browser that sent it, over
        # the same connection, in a response never stored (no-store); a password in
        # error is cleared, as GOV.UK does, since it must be typed again anyway.
        form.password.widget = form.confirm.widget = PasswordInput(hide_value=False)
    response = make_response(render_template("auth/signup.html", form=form))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/signin", methods=["GET", "POST"])
@signin_limits
def signin():
    """Sign in with email and password; attempts are limited with the API's (limits.py)."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = SignInForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        now = utcnow()
        if check_password(user, form.password.data) and can_sign_in(user, now=now):
            if reactivate_if_deactivated(user, now=now):
                flash(
                    _(
                        "Welcome back: your account is open again. The circles you left "
                        "are not joined again: ask their admins for a new invitation."
                    ),
                    "success",
                )
            _sign_in(user, remember=form.remember.data)
            forget_failures()
            return redirect(safe_next(request.args.get("next"), url_for("dashboard.index")))
        form.password.errors = [_("This email and password do not match an account.")]
        return render_template("auth/signin.html", form=form), 401
    return render_template("auth/signin.html", form=form)


@bp.post("/signout")
def signout():
    """Sign out (a POST, so that no link or image can sign you out). The session ends on
    the server too: a copy of its cookies no longer signs anyone in."""
    if current_user.is_authenticated:
        end_session(current_user, current_user.signin_session_id, now=utcnow())
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.signin"))


@bp.post("/language")
def set_language():
    """Choose the language of the pages (for people not signed in, or for the session)."""
    locale = request.form.get("locale", "")
    if locale not in current_app.config["LANGUAGES"]:
        abort(400)
    session["locale"] = locale
    if current_user.is_authenticated:
        current_user.locale = locale
    return redirect(safe_next(request.form.get("next"), url_for("dashboard.index")))


def _too_many_reset_requests() -> str:
    return _("Too many requests for a reset link. Please try again in an hour.")


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"], error_message=_too_many_reset_requests)
def reset_request():
    """Ask for a reset link by email. The answer is the same whether or not the address exists."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        # No lookup here: the periodic command finds the account, if any (app/auth/reset.py).
        count_reset_request(form.email.data)
        ask_for_reset(form.email.data, locale=select_locale(), now=utcnow())
        flash(
            _(
                "If an account uses this address, we have sent it a link to choose a new "
                "password. The link works once, for one hour."
            ),
            "info",
        )
        return redirect(url_for("auth.signin"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from an emailed link (single use, expires)."""
    user = user_from_reset_token(token)
    if user is None or not can_sign_in(user, now=utcnow()):
        return render_template("auth/reset_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            set_password(user, form.password.data, now=now)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            mark_verified(user, now=now)  # the link reached this mailbox
            reactivate_if_deactivated(user, now=now)
            _sign_in(user)
            flash(_("Your password is changed. You are signed in."), "success")
            return redirect(url_for("dashboard.index"))
    return render_template("auth/reset_password.html", form=form)


@bp.get("/email/confirm/<token>")
def confirm_email(token: str):
    """Open the emailed confirmation link: the account's address is confirmed. Works
    signed out too (the link alone proves the mailbox is read)."""
    user = user_from_confirmation_token(token)
    if user is None:
        return render_template("auth/confirm_invalid.html"), 400
    mark_verified(user, now=utcnow())
    flash(_("Your email address is confirmed."), "success")
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("auth.signin"))


def _too_many_confirmation_requests() -> str:
    return _("Too many requests for a confirmation link. Please try again in an hour.")


@bp.post("/profile/email/confirm")
@login_required
@limiter.limit("3 per hour", error_message=_too_many_confirmation_requests)
def resend_confirmation():
    """Send the confirmation link again (from the profile)."""
    user = current_user._get_current_object()
    if user.email_verified_at is not None:
        flash(_("Your email address is confirmed."), "info")
    else:
        ask_for_confirmation(user, now=utcnow())
        flash(
            _("We have sent a new confirmation link to %(email)s.", email=user.email),
            "info",
        )
    return redirect(url_for("auth.profile"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Name, handle, language, time zone; quiet hours; password; API tokens."""
    user = current_user._get_current_object()
    form = ProfileForm(obj=user, prefix="profile")
    if request.method == "GET":
        form.locale.data = user.locale or ""
    if form.validate_on_submit():
        handle = form.handle.data.strip().lower()
        taken = db.session.scalar(
            sa.select(User.id).where(User.handle == handle, User.id != user.id)
        )
        if taken:
            form.handle.errors = [_("This handle is already taken.")]
        else:
            user.name = form.name.data.strip()
            user.handle = handle
            user.locale = form.locale.data or None
            user.timezone = form.timezone.data
            if user.locale:
                session["locale"] = user.locale
            else:
                session.pop("locale", None)
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("auth.profile"))
    return _render_profile(form=form)


@bp.post("/profile/email")
@login_required
def change_email():
    """Ask to move the account to a new address: a link goes to it, a word to the
    current one; nothing changes until the link is opened."""
    user = current_user._get_current_object()
    form = EmailChangeForm(prefix="email")
    if not form.validate_on_submit():
        return _render_profile(email_form=form, status=400)
    if not check_password(user, form.current_password.data):
        form.current_password.errors = [_("This is not your current password.")]
        return _render_profile(email_form=form, status=400)
    try:
        check_new_email(user, form.email.data)  # a refused address is not counted
        count_email_change(user)
        new_email = ask_for_email_change(user, form.email.data, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        show_domain_error(form, error)
        return _render_profile(email_form=form, status=error.status)
    flash(
        _(
            "We have sent a link to %(email)s: your address changes when you open it. "
            "We have also told your current address.",
            email=new_email,
        ),
        "info",
    )
    return redirect(url_for("auth.profile", _anchor="email"))


@bp.route("/email/change/<token>", methods=["GET", "POST"])
def confirm_email_change(token: str):
    """Open the link emailed to the new address: a button makes the change (a GET
    changes nothing: mail scanners open links). Works signed out too."""
    found = change_from_token(token)
    if found is None:
        return render_template("auth/email_change_invalid.html"), 400
    user, new_email = found
    if request.method == "POST":
        try:
            apply_email_change(user, new_email, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            return render_template(
                "auth/email_change.html", new_email=new_email, error=error.message
            ), error.status
        flash(_("Your email address is now %(email)s.", email=new_email), "success")
        if current_user.is_authenticated:
            return redirect(url_for("auth.profile"))
        return redirect(url_for("auth.signin"))
    return render_template("auth/email_change.html", new_email=new_email, error=None)


def _render_profile(
    form=None,
    password_form=None,
    token_form=None,
    quiet_form=None,
    new_token=None,
    email_form=None,
    status=200,
):
    user = current_user._get_current_object()
    tokens = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    ).all()
    return (
        render_template(
            "auth/profile.html",
            form=form or ProfileForm(obj=user, prefix="profile", formdata=None),
            password_form=password_form or ChangePasswordForm(prefix="password", formdata=None),
            token_form=token_form or TokenForm(prefix="token", formdata=None),
            quiet_form=quiet_form or QuietHoursForm(prefix="quiet", obj=user, formdata=None),
            email_form=email_form or EmailChangeForm(prefix="email", formdata=None),
            reactivation_days=REACTIVATION_DAYS,
            tokens=tokens,
            new_token=new_token,
            sessions=active_sessions(user),
            this_session=user.signin_session_id,
        ),
        status,
    )


@bp.post("/profile/password")
@login_required
def change_password():
    """Change the password; other sessions end."""
    user = current_user._get_current_object()
    form = ChangePasswordForm(prefix="password")
    if form.validate_on_submit():
        if not check_password(user, form.current_password.data):
            form.current_password.errors = [_("This is not your current password.")]
        else:
            set_password(user, form.password.data, now=utcnow())
            # This browser goes on in a new session (its remember cookie too); the others end.
            cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            remember = cookie in request.cookies
            _sign_in(user, remember=remember)
            flash(_("Your password is changed."), "success")
            return redirect(url_for("auth.profile"))
    return _render_profile(password_form=form, status=400)


@bp.post("/profile/quiet-hours")
@login_required
def quiet_hours():
    """Quiet hours in my time zone, and whether urgent and important support requests
    may still reach me then."""
    user = current_user._get_current_object()
    form = QuietHoursForm(prefix="quiet")
    if not form.validate_on_submit():
        return _render_profile(quiet_form=form, status=400)
    user.quiet_from = form.quiet_from.data
    user.quiet_until = form.quiet_until.data
    user.quiet_wake = form.quiet_wake.data
    flash(
        _("Your quiet hours are saved.")
        if user.quiet_from is not None
        else _("You have no quiet hours."),
        "success",
    )
    return redirect(url_for("auth.profile", _anchor="quiet-hours"))


@bp.post("/profile/tokens")
@login_required
def create_token():
    """Create an API token; it is shown once."""
    form = TokenForm(prefix="token")
    if form.validate_on_submit():
        _token, secret = create_api_token(
            current_user._get_current_object(), form.name.data, now=utcnow()
        )
        return _render_profile(new_token=secret)
    return _render_profile(token_form=form, status=400)


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke_token(token_id: int):
    """Revoke one of my API tokens, after a confirmation step (GET)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    back = back_to(url_for("auth.profile", _anchor="tokens-heading"))
    if request.method == "GET":
        return confirmation_page(
            title=_("Revoke an API token"),
            question=_("Revoke the token “%(name)s”?", name=token.name or _("(no name)")),
            details=[_("Programs using it will stop working at once.")],
            confirm_label=_("Yes, revoke the token"),
            back=back,
        )
    db.session.delete(token)
    flash(_("The token is revoked: it no longer works."), "success")
    return redirect(back)


@bp.post("/profile/sessions/<int:session_id>/end")
@login_required
def end_one_session(session_id: int):
    """End one of my sign-in sessions (a device I no longer use, or do not recognise)."""
    user = current_user._get_current_object()
    if not end_session(user, session_id, now=utcnow()):
        abort(404)
    if session_id == user.signin_session_id:
        logout_user()
        flash(_("You are signed out."), "info")
        return redirect(url_for("auth.signin"))
    flash(_("The session is ended: that device is signed out."), "success")
    return redirect(url_for("auth.profile", _anchor="sessions"))


@bp.post("/profile/sessions/end-all")
@login_required
def end_all_sessions():
    """Sign out everywhere: every session of mine ends, this one too."""
    end_sessions(current_user._get_current_object(), now=utcnow())
    logout_user()
    flash(_("You are signed out on all your devices."), "info")
    return redirect(url_for("auth.signin"))
