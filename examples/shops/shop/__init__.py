"""What the example shops share: the domain, the subscribers and the pages.

The Flask, Django and FastAPI shops next to this package differ only in their
views. The domain (``shop.domain``) emits ``order_placed`` from its order
creator, as django-oscar does; every other event is emitted by the views, where
Oscar emits it. The subscribers (``shop.subscribers``) are the same for all
three shops.
"""
