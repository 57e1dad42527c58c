"""Routes under /api/v3: BigCommerce's paths, so a BigCommerce client only changes its base URL."""

urlpatterns: list = []
