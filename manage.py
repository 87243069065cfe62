#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    if sys.argv[1:2] == ["devmodel"]:
        # The dev model server needs none of the web's settings (product/devmodel/standalone.py).
        from product.devmodel.standalone import configure

        configure()
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "product.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
