"""``python -m linkaudit``: the same command line as the ``linkaudit`` script."""

from linkaudit.cli import run

if __name__ == "__main__":
    run()
