"""Crafted ids and stale tokens get clear answers, never a 500."""


def test_huge_ids_are_404_not_500(client, auth, api_as, make_user):
    user = make_user()
    auth.login(user)
    huge = "9" * 30
    for path in (f"/t/{huge}", f"/p/{huge}", f"/comments/{huge}/edit"):
        assert client.get(path).status_code == 404, path
    api = api_as(user)
    for path in (f"/api/v1/polls/{huge}", f"/api/v1/threads/{huge}", f"/api/v1/agreements/{huge}"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"


def test_a_reply_with_a_garbage_parent_is_not_a_500(
    client, auth, make_user, make_group, make_thread
):
    user = make_user()
    group = make_group(user)
    thread = make_thread(group, user)
    auth.login(user)
    response = client.post(f"/t/{thread.id}/comments", data={"body": "", "parent_id": "abc"})
    assert response.status_code in (302, 400)


def test_a_stale_token_does_not_block_getting_a_new_one(client, make_user):
    user = make_user()
    stale = {"Authorization": "Bearer cercle_not-a-token"}
    response = client.post(
        "/api/v1/tokens", json={"email": user.email, "password": user.password}, headers=stale
    )
    assert response.status_code == 201
    assert client.get("/api/v1/groups", headers=stale).status_code == 401
