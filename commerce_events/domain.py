"""Domain objects: declare the shop's own classes for validation.

Payload fields such as ``product`` or ``order`` hold the application's own
objects. Until their classes are declared, any non-``None`` object is accepted;
after ``commerce_events.declare_domain_classes(product=myshop.Product)``,
validation also checks ``isinstance``. The aliases below (``Product``,
``User``, ...) are what the built-in catalogue annotates its fields with;
custom events can use them too,
or define new domains with :class:`Domain`::

    Customer = Annotated[Any, Domain("customer", "A loyalty-scheme member.")]
"""

from __future__ import annotations

from ._domain import (
    Basket,
    Domain,
    Line,
    Order,
    Product,
    Request,
    Response,
    Review,
    Session,
    User,
    View,
    Voucher,
    Wishlist,
    domain_classes,
)

__all__ = [
    "Basket",
    "Domain",
    "Line",
    "Order",
    "Product",
    "Request",
    "Response",
    "Review",
    "Session",
    "User",
    "View",
    "Voucher",
    "Wishlist",
    "domain_classes",
]
