"""``linkaudit serve``: the command (``linkaudit.cli`` loads it when run)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

from linkaudit.commandline import (
    Command,
    cache_option,
    config_option,
    handles_errors,
    no_cache_option,
    wayback_option,
)
from linkaudit.errors import InputError
from linkaudit.settings import RunInputs

#: The environment variable that may hold the desk's token (kept out of shell history).
TOKEN_ENV = "LINKAUDIT_SERVE_TOKEN"
_MIN_TOKEN = 16


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command("serve", cls=Command)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but loopback needs --token.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option(
    "--token",
    envvar=TOKEN_ENV,
    help=f"Secret the page must be opened with (?token=...); default ${TOKEN_ENV}.",
)
@click.option(
    "--allow-private",
    is_flag=True,
    help="Beyond loopback: still check links to loopback and private addresses.",
)
@click.option(
    "--wordpress-site",
    "wordpress_sites",
    multiple=True,
    metavar="SITE",
    help="A WordPress site whose drafts the desk may read with LINKAUDIT_WORDPRESS_AUTH "
    "(repeatable); the password is sent to no other site.",
)
@config_option
@wayback_option
@cache_option
@no_cache_option
@handles_errors
def serve_command(
    host: str,
    port: int,
    token: str | None,
    allow_private: bool,
    wordpress_sites: tuple[str, ...],
    config_path: Path | None,
    wayback_url: str | None,
    cache_path: Path | None,
    no_cache: bool,
) -> None:
    """Open the editor's desk: a local web page to audit an article and repair it.

    Paste a link, HTML or Markdown, drop a file or name a WordPress draft (the
    application password comes from LINKAUDIT_WORDPRESS_AUTH here, never from
    the page).  Listens on 127.0.0.1 only unless --host says otherwise; then a
    --token is required and links into private networks are not checked.
    """
    try:
        from linkaudit.serve.app import bind, create_app, new_gate, serve
        from linkaudit.serve.desk import Desk
    except ImportError as exc:
        raise InputError(
            f"linkaudit serve needs the serve extra ({exc.name} is missing): "
            "pip install 'linkaudit[serve]'"
        ) from None
    public = not _loopback(host)
    if public and (token is None or len(token) < _MIN_TOKEN):
        raise click.UsageError(
            f"listening on {host} (beyond this computer) needs --token (or ${TOKEN_ENV}) "
            f"of at least {_MIN_TOKEN} characters"
        )
    overrides: dict[str, object] = {"cache": cache_path, "no_cache": no_cache or None}
    if public and allow_private:
        overrides["exclude_all_private"] = False
    inputs = RunInputs(config=config_path, overrides=overrides, wayback_url=wayback_url)
    desk = Desk(
        inputs,
        public=public and not allow_private,
        backup_dir=Path("linkaudit-backups"),
        wordpress_sites=wordpress_sites,
    )
    sock = bind(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"linkaudit desk: http://{shown}:{bound}/")
    if token is not None:
        click.echo("  open it once with ?token=YOUR_TOKEN (the token is not printed)")
    if public and not allow_private:
        click.echo("  links to loopback and private addresses are not checked (--allow-private)")
    if not desk.wordpress_auth_available():
        click.echo(
            "  WordPress drafts: set LINKAUDIT_WORDPRESS_AUTH=user:application-password first"
        )
    for site in wordpress_sites:
        click.echo(f"  WordPress drafts of {site}")
    click.echo("  Ctrl-C stops it")
    try:
        serve(create_app(desk, new_gate(host, bound, token)), sock)
    finally:
        desk.close()
        sock.close()
