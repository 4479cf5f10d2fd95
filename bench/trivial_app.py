"""The reference point for `make bench`: a Flask view that returns a short string, served by
gunicorn exactly as Aula is, so page figures can be read as a ratio to it."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return "ok"
