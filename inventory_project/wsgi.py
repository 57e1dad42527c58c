import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_project.settings")

application = get_wsgi_application()

# Everything loaded so far (Django, the project, their modules and caches) lives as long as the
# process: move it out of the collector's sight. Otherwise each full collection walks those
# hundreds of thousands of objects again, and a 2000-line batch, which allocates enough to set
# a few off, spent a large share of its CPU in them.
gc.freeze()
