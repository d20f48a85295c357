"""The bare Flask "hello" app SPEC §10 measures the key pages against."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello"
