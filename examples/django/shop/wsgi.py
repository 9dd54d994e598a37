"""WSGI entry point. With `gunicorn --preload shop.wsgi` the Dargah client may
be made in the master: it starts nothing until its first call, in each worker."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
application = get_wsgi_application()
