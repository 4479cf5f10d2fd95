from app import create_app


def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_cannot_be_reached(tmp_path):
    # A real database that cannot open: its folder does not exist.
    unreachable = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/aula.db"}
    )
    response = unreachable.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "down"
