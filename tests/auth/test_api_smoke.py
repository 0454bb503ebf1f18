def test_register_token_and_errors(client, api_as):
    anon = api_as(None)
    r = anon.post("/api/v1/users", json={"email": "Ana@Example.org", "name": "Ana", "password": "long enough pw"})
    assert r.status_code == 201, r.json
    assert r.json["email"] == "ana@example.org"
    r = anon.post("/api/v1/users", json={"email": "ana@example.org", "name": "Ana", "password": "long enough pw"})
    assert r.status_code == 409
    assert r.json["error"]["code"] == "email_taken"
    r = anon.post("/api/v1/users", json={"email": "nope", "name": "", "password": "x"})
    assert r.status_code == 400
    assert set(r.json["error"]["fields"]) >= {"email", "name"}
    r = anon.post("/api/v1/tokens", json={"email": "ana@example.org", "password": "long enough pw"})
    assert r.status_code == 201
    token = r.json["token"]
    r = client.delete("/api/v1/tokens/current", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204
    r = client.delete("/api/v1/tokens/current", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert client.get("/api/v1/nothing-here").status_code == 401
    assert client.get("/api/v1/openapi.json").status_code == 200
