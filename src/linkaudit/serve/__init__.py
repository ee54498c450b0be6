"""``linkaudit serve``: the editor's desk, a local web page for audits and repairs.

Editors who never open a terminal paste a link, an article's HTML or Markdown,
drop a file or name a WordPress draft; watch the links being checked; read the
verdicts and the same HTML report the command line writes; and apply the
repairs (a repaired file to download, or the repairs written back to the
draft).  :mod:`.desk` is the engine side (no web framework), :mod:`.page` the
page, :mod:`.app` the ASGI application and its gates, :mod:`.cli` the command.

Needs the ``serve`` extra (``pip install 'linkaudit[serve]'``): Starlette and
uvicorn are imported only here.
"""
