"""What the example shops share: the domain, the subscribers and the pages.

The Flask, Django and FastAPI shops next to this package differ only in their
views. As in django-oscar, the domain (``shop.domain``) emits what happens to
baskets, payments and orders (``order_placed`` from its order creator,
``order_status_changed`` from ``Order.set_status``, ...), and the views emit
what customers do (``product_viewed``, ``basket_addition``, ...). The
subscribers (``shop.subscribers``) are the same for all three shops.
"""
