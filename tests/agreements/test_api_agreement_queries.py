"""The agreements list and the rules endpoint run a fixed number of SQL statements,
whatever the number of agreements and versions: 2 agreements of 1 version, and 40
agreements of 5 versions each (one of them repealed), give equal counts."""

from __future__ import annotations

import pytest


@pytest.fixture
def two_groups(make_user, make_group, make_thread, make_history):
    """``small``: 2 agreements of one version; ``large``: 40 agreements of 5 versions, the
    last one repealed. Each group has one member, its admin (who is also the reader)."""
    groups = {}
    for name, agreements, versions in (("small", 2, 1), ("large", 40, 5)):
        admin = make_user(name=f"Admin {name}")
        group = make_group(admin, handle=f"groupe-{name}")
        thread = make_thread(group, admin)
        history = make_history(group, thread, [admin])
        last = None
        for n in range(agreements):
            last = history.adopt(
                title=f"Accord {n}",
                body=f"Texte {n}",
                rules={"rhythm_per_week": 1 + n % 21, "channels": [f"Canal {n}"]},
            )
            for version in range(2, versions + 1):
                step = history.amend(
                    last.agreement_id,
                    version - 1,
                    body=f"Texte {n}, version {version}",
                    rules={"relance_after_days": version * 7, "channels": [f"Canal {n}"]},
                )
                assert step.applied
        if name == "large":
            history.repeal(last.agreement_id, versions)
        groups[name] = (group, admin)
    return groups


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/groups/{handle}/agreements",
        "/api/v1/groups/{handle}/agreements?status=all",
        "/api/v1/groups/{handle}/agreements?status=all&as_of=2100-01-01",
        "/api/v1/groups/{handle}/rules",
        "/api/v1/groups/{handle}/rules?as_of=2100-01-01T00:00:00Z",
    ],
)
def test_the_same_number_of_statements_for_2_and_for_40_agreements_of_5_versions(
    api, count_queries, two_groups, path
):
    counts = {}
    sizes = {}
    for name, (group, admin) in two_groups.items():
        client = api(admin)
        url = path.format(handle=group.handle)
        client.get(url)  # warm up: nothing lazy left to load on the first request
        with count_queries() as queries:
            response = client.get(url)
        assert response.status_code == 200, response.get_json()
        counts[name] = queries.count
        body = response.get_json()
        sizes[name] = len(body.get("items", body.get("rules", [])))
    if "agreements" in path:
        expected_large = 40 if "status=all" in path else 39
        assert sizes == {"small": 2, "large": expected_large}
    assert counts["small"] == counts["large"], counts
    assert counts["large"] <= 5, counts


def test_one_agreement_and_its_diff_do_not_grow_with_its_versions(api, count_queries, two_groups):
    counts = {}
    for name, (group, admin) in two_groups.items():
        client = api(admin)
        items = client.get(f"/api/v1/groups/{group.handle}/agreements").get_json()["items"]
        agreement_id = items[0]["id"]
        latest = items[0]["version"]
        with count_queries() as one:
            body = client.get(f"/api/v1/agreements/{agreement_id}").get_json()
        with count_queries() as diff:
            response = client.get(f"/api/v1/agreements/{agreement_id}/diff?from=1&to={latest}")
        assert response.status_code == 200
        assert len(body["versions"]) == latest
        counts[name] = (one.count, diff.count)
    assert counts["small"] == counts["large"], counts
