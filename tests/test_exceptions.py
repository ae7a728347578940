"""Tests for commerce_events.exceptions: one hierarchy, structured and picklable."""

import builtins
import itertools
import pickle
import string
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

import commerce_events
from commerce_events import exceptions
from commerce_events.exceptions import (
    CommerceEventsError,
    DomainClassError,
    DuplicateEventError,
    EventDefinitionError,
    NotAPayloadError,
    PayloadError,
    SubscriberError,
    SubscriberSignatureError,
    UnknownDomainError,
    UnknownEventError,
)

_counter = itertools.count()


def _unique(label: str) -> str:
    """Return an event name no other test registers."""
    return f"test_exceptions_{label}_{next(_counter)}"


def _roundtrip(error: BaseException) -> BaseException:
    """Pickle and unpickle *error*."""
    return pickle.loads(pickle.dumps(error))  # noqa: S301


def _first_subscriber(payload):
    """A module-level (so picklable) subscriber."""


def _second_subscriber(payload):
    """Another module-level (so picklable) subscriber."""


_PAYLOAD_TYPES = st.sampled_from(
    [
        commerce_events.ProductViewed,
        commerce_events.OrderPlaced,
        commerce_events.ReviewAdded,
    ]
)
_NAMES = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=12)
_FIELDS = st.dictionaries(_NAMES, st.text(max_size=20), min_size=1, max_size=4)
_PAYLOADS = st.builds(commerce_events.ProductSearch, query=st.text(max_size=10))
_FAILURES = st.lists(
    st.tuples(
        st.sampled_from([_first_subscriber, _second_subscriber]),
        st.builds(ValueError, st.text(max_size=10)),
    ),
    min_size=1,
    max_size=4,
)

_ALL = [getattr(exceptions, name) for name in exceptions.__all__]


class TestHierarchy:
    """Every exception shares one base and also subclasses a builtin."""

    @pytest.mark.parametrize("cls", _ALL, ids=lambda c: c.__name__)
    def test_derives_from_the_base(self, cls):
        """Every public exception is a CommerceEventsError."""
        assert issubclass(cls, CommerceEventsError)

    @pytest.mark.parametrize(
        "cls",
        [c for c in _ALL if c is not CommerceEventsError],
        ids=lambda c: c.__name__,
    )
    def test_also_derives_from_a_specific_builtin(self, cls):
        """Every subclass also derives from a builtin more specific than Exception."""
        specific = {
            base
            for base in cls.__mro__
            if base.__module__ == "builtins"
            and issubclass(base, BaseException)
            and base not in {Exception, BaseException}
        }
        assert specific

    @pytest.mark.parametrize(
        ("cls", "builtin_bases"),
        [
            (PayloadError, (TypeError, ValueError)),
            (NotAPayloadError, (TypeError,)),
            (UnknownEventError, (LookupError,)),
            (DuplicateEventError, (ValueError,)),
            (EventDefinitionError, (TypeError,)),
            (UnknownDomainError, (LookupError,)),
            (DomainClassError, (TypeError,)),
            (SubscriberSignatureError, (TypeError,)),
            (SubscriberError, (ExceptionGroup,)),
        ],
        ids=lambda v: getattr(v, "__name__", ""),
    )
    def test_documented_builtin_bases(self, cls, builtin_bases):
        """Each exception subclasses the builtin its documentation promises."""
        assert all(issubclass(cls, base) for base in builtin_bases)

    def test_base_is_an_exception(self):
        """CommerceEventsError is an Exception, so except Exception catches it."""
        assert issubclass(CommerceEventsError, Exception)
        assert builtins.Exception in CommerceEventsError.__mro__


class TestPayloadError:
    """PayloadError: invalid event arguments."""

    @given(_NAMES, _PAYLOAD_TYPES, _FIELDS)
    def test_keeps_its_attributes(self, event, payload_type, fields):
        """event, payload_type and fields are kept as given."""
        error = PayloadError(event, payload_type, fields)
        assert (event, payload_type, fields) == (
            error.event,
            error.payload_type,
            dict(error.fields),
        )

    @given(_NAMES, _PAYLOAD_TYPES, _FIELDS)
    def test_message_names_event_and_fields(self, event, payload_type, fields):
        """The message names the event, the payload class and every field."""
        text = str(PayloadError(event, payload_type, fields))
        assert repr(event) in text
        assert payload_type.__name__ in text
        assert all(f"{name}: {why}" in text for name, why in fields.items())

    @given(_NAMES, _PAYLOAD_TYPES, _FIELDS)
    def test_pickles(self, event, payload_type, fields):
        """A PayloadError survives a pickle round trip."""
        error = _roundtrip(PayloadError(event, payload_type, fields))
        assert isinstance(error, PayloadError)
        assert (
            event,
            payload_type,
            fields,
            str(PayloadError(event, payload_type, fields)),
        ) == (
            error.event,
            error.payload_type,
            dict(error.fields),
            str(error),
        )

    def test_raised_by_invalid_arguments(self):
        """Building a payload badly raises it with the event's name and class."""
        with pytest.raises(PayloadError) as info:
            commerce_events.ProductSearch(query=1, colour="red")
        assert (
            "product_search",
            commerce_events.ProductSearch,
            {"query", "colour"},
        ) == (
            info.value.event,
            info.value.payload_type,
            set(info.value.fields),
        )


class TestNotAPayloadError:
    """NotAPayloadError: emit() was given something else."""

    @given(st.one_of(st.integers(), st.text(), st.none()))
    def test_raised_by_emit_and_keeps_the_value(self, value):
        """emit() of a non-payload raises NotAPayloadError holding the value."""
        with pytest.raises(NotAPayloadError) as info:
            commerce_events.emit(value)
        assert value is info.value.value
        assert type(value).__qualname__ in str(info.value)

    @given(st.one_of(st.integers(), st.text()))
    def test_pickles(self, value):
        """A NotAPayloadError survives a pickle round trip."""
        original = NotAPayloadError(value)
        error = _roundtrip(original)
        assert (value, str(original)) == (error.value, str(error))


class TestUnknownEventError:
    """UnknownEventError: no event under this name."""

    @given(_NAMES, st.lists(_NAMES, max_size=5))
    def test_keeps_its_attributes(self, event, known):
        """event is kept and known is sorted."""
        error = UnknownEventError(event, known)
        assert (event, tuple(sorted(known))) == (error.event, error.known)

    @given(_NAMES, st.lists(_NAMES, max_size=5))
    def test_message_is_not_quoted_like_a_key(self, event, known):
        """str() is the plain message, naming the event, not a KeyError-style repr."""
        error = UnknownEventError(event, known)
        assert error.args[0] == str(error)
        assert repr(event) in str(error)

    def test_suggests_close_names(self):
        """Looking up a misspelt name suggests the registered name."""
        with pytest.raises(UnknownEventError) as info:
            commerce_events.namespace["product_veiwed"]
        assert "product_veiwed" == info.value.event
        assert "'product_viewed'" in str(info.value)
        assert "product_viewed" in info.value.known

    @given(_NAMES, st.lists(_NAMES, max_size=5))
    def test_pickles(self, event, known):
        """An UnknownEventError survives a pickle round trip."""
        original = UnknownEventError(event, known)
        error = _roundtrip(original)
        assert (original.event, original.known, str(original)) == (
            error.event,
            error.known,
            str(error),
        )


class TestDuplicateEventError:
    """DuplicateEventError: the name is taken."""

    @pytest.mark.parametrize("taken", ["product_viewed", "review_created"])
    def test_raised_for_a_taken_name_or_alias(self, taken):
        """Registering a taken name or alias names it and the class holding it."""
        cls = type("Again", (), {"__module__": __name__})
        with pytest.raises(DuplicateEventError) as info:
            commerce_events.event(_unique("dup"), aliases=(taken,))(cls)
        existing = commerce_events.namespace[taken].payload_type
        assert (taken, existing) == (info.value.event, info.value.existing)
        assert repr(taken) in str(info.value)
        assert existing.__qualname__ in str(info.value)

    def test_raised_for_a_taken_primary_name(self):
        """Registering a class under a taken event name raises DuplicateEventError."""
        cls = type("Again", (), {"__module__": __name__})
        with pytest.raises(DuplicateEventError) as info:
            commerce_events.event("order_placed")(cls)
        assert commerce_events.OrderPlaced is info.value.existing

    @given(_NAMES, _PAYLOAD_TYPES)
    def test_pickles(self, event, existing):
        """A DuplicateEventError survives a pickle round trip."""
        original = DuplicateEventError(event, existing)
        error = _roundtrip(original)
        assert (event, existing, str(original)) == (
            error.event,
            error.existing,
            str(error),
        )


_INVALID_NAMES = st.one_of(
    st.text(max_size=10).filter(lambda s: not s.isidentifier()),
    st.integers(),
    st.none(),
)


class TestEventDefinitionError:
    """EventDefinitionError: a class or name cannot be an event."""

    @given(_INVALID_NAMES)
    def test_raised_for_invalid_event_names(self, name):
        """A name that is not an identifier is refused, naming it."""
        with pytest.raises(EventDefinitionError) as info:
            commerce_events.event(name)  # type: ignore[arg-type]
        assert (str(name), {"<name>"}) == (info.value.event, set(info.value.fields))
        assert repr(name) in info.value.fields["<name>"]

    @given(_NAMES, _INVALID_NAMES)
    def test_raised_for_invalid_aliases(self, name, alias):
        """An alias that is not an identifier is refused too."""
        with pytest.raises(EventDefinitionError) as info:
            commerce_events.event(name, aliases=(alias,))  # type: ignore[arg-type]
        assert {"<name>"} == set(info.value.fields)

    @given(_NAMES, _FIELDS)
    def test_message_names_event_and_fields(self, event, fields):
        """The message names the event and every offending field with its reason."""
        text = str(EventDefinitionError(event, fields))
        assert repr(event) in text
        assert all(f"{name}: {why}" in text for name, why in fields.items())

    @given(_NAMES, _FIELDS)
    def test_pickles(self, event, fields):
        """An EventDefinitionError survives a pickle round trip."""
        original = EventDefinitionError(event, fields)
        error = _roundtrip(original)
        assert (event, fields, str(original)) == (
            error.event,
            dict(error.fields),
            str(error),
        )


class TestUnknownDomainError:
    """UnknownDomainError: no such domain."""

    @given(_NAMES.map(lambda n: f"no_such_domain_{n}"))
    def test_raised_by_declare_domain_classes(self, name):
        """Declaring classes for an unknown domain names it and the known ones."""
        with pytest.raises(UnknownDomainError) as info:
            commerce_events.declare_domain_classes(**{name: int})
        assert name == info.value.domain
        assert {"product", "user", "order"} <= set(info.value.known)
        assert repr(name) in str(info.value)

    @given(_NAMES, st.lists(_NAMES, max_size=4))
    def test_message_names_the_domain(self, domain, known):
        """str() is a plain message naming the domain and listing the known ones."""
        text = str(UnknownDomainError(domain, known))
        assert repr(domain) in text
        assert all(name in text for name in known)

    @given(_NAMES, st.lists(_NAMES, max_size=4))
    def test_pickles(self, domain, known):
        """An UnknownDomainError survives a pickle round trip."""
        original = UnknownDomainError(domain, known)
        error = _roundtrip(original)
        assert (original.domain, original.known, str(original)) == (
            error.domain,
            error.known,
            str(error),
        )


class TestDomainClassError:
    """DomainClassError: a domain declared with something not a class."""

    @given(st.one_of(st.integers(), st.text(), st.just(())))
    def test_raised_by_declare_domain_classes(self, value):
        """Declaring a non-class names the domain and keeps the value."""
        with pytest.raises(DomainClassError) as info:
            commerce_events.declare_domain_classes(product=value)
        assert ("product", value) == (info.value.domain, info.value.value)
        assert "'product'" in str(info.value)

    @given(_NAMES, st.one_of(st.integers(), st.text()))
    def test_pickles(self, domain, value):
        """A DomainClassError survives a pickle round trip."""
        original = DomainClassError(domain, value)
        error = _roundtrip(original)
        assert (domain, value, str(original)) == (error.domain, error.value, str(error))


class TestSubscriberSignatureError:
    """SubscriberSignatureError: a subscriber that cannot take the event."""

    def test_raised_by_subscribe(self):
        """Subscribing a function taking no argument names the event and function."""

        def takes_nothing():
            """Cannot take a payload."""

        with pytest.raises(SubscriberSignatureError) as info:
            commerce_events.subscribe(commerce_events.ProductSearch, takes_nothing)
        assert ("product_search", takes_nothing) == (
            info.value.event,
            info.value.subscriber,
        )
        assert info.value.reason
        assert "takes_nothing" in str(info.value)
        assert "'product_search'" in str(info.value)

    @given(_NAMES, st.text(max_size=20))
    def test_pickles(self, event, reason):
        """A SubscriberSignatureError survives a pickle round trip."""
        original = SubscriberSignatureError(event, _first_subscriber, reason)
        error = _roundtrip(original)
        assert (event, _first_subscriber, reason, str(original)) == (
            error.event,
            error.subscriber,
            error.reason,
            str(error),
        )


class TestSubscriberError:
    """SubscriberError: an ExceptionGroup of failed subscribers."""

    @given(_NAMES, _PAYLOADS, _FAILURES)
    def test_keeps_its_attributes(self, event, payload, failures):
        """event, payload and failures are kept; the members are the exceptions."""
        error = SubscriberError(event, payload, failures)
        assert (event, payload, tuple(failures)) == (
            error.event,
            error.payload,
            error.failures,
        )
        assert [exc for _, exc in failures] == list(error.exceptions)
        assert isinstance(error, ExceptionGroup)
        assert repr(event) in str(error)

    @given(_NAMES, _PAYLOADS, _FAILURES, st.data())
    def test_except_star_keeps_attributes(self, event, payload, failures, data):
        """except* splitting keeps event, payload and the matching failures."""
        failures = [
            (sub, data.draw(st.sampled_from([KeyError, ValueError]))(str(exc)))
            for sub, exc in failures
        ]
        matched, rest = [], []
        try:
            try:
                raise SubscriberError(event, payload, failures)
            except* KeyError as group:
                matched.append(group)
        except SubscriberError as remaining:
            rest.append(remaining)
        keys = [(s, e) for s, e in failures if isinstance(e, KeyError)]
        values = [(s, e) for s, e in failures if isinstance(e, ValueError)]
        for found, expected in ((matched, keys), (rest, values)):
            if expected:
                (group,) = found
                assert isinstance(group, SubscriberError)
                assert (event, payload, tuple(expected)) == (
                    group.event,
                    group.payload,
                    group.failures,
                )
            else:
                assert [] == found

    def test_except_star_with_a_nested_group(self):
        """A subscriber's own ExceptionGroup is split like any other member."""
        event, payload = "product_search", commerce_events.ProductSearch(query="q")
        inner = ExceptionGroup("inner", [KeyError("k"), ValueError("v")])
        failures = [(_first_subscriber, inner), (_second_subscriber, OSError("o"))]
        matched = []
        try:
            try:
                raise SubscriberError(event, payload, failures)
            except* KeyError as group:
                matched.append(group)
        except SubscriberError as remaining:
            rest = remaining
        (group,) = matched
        assert isinstance(group, SubscriberError)
        assert [_first_subscriber] == [sub for sub, _ in group.failures]
        assert [_first_subscriber, _second_subscriber] == [
            sub for sub, _ in rest.failures
        ]

    @given(_NAMES, _PAYLOADS, _FAILURES)
    def test_pickles(self, event, payload, failures):
        """A SubscriberError survives a pickle round trip."""
        original = SubscriberError(event, payload, failures)
        error = _roundtrip(original)
        assert isinstance(error, SubscriberError)
        assert (event, payload, [s for s, _ in failures], str(original)) == (
            error.event,
            error.payload,
            [s for s, _ in error.failures],
            str(error),
        )
        assert [str(e) for _, e in failures] == [str(e) for e in error.exceptions]

    def test_raised_by_emit(self):
        """emit() raises it after every subscriber ran, with notes on each failure."""
        ran = []

        def fails(payload):
            ran.append("fails")
            raise ValueError("boom")

        def works(payload):
            ran.append("works")

        commerce_events.subscribe(commerce_events.ProductSearch, fails)
        commerce_events.subscribe(commerce_events.ProductSearch, works)
        payload = commerce_events.ProductSearch(query="shoes")
        with pytest.raises(SubscriberError) as info:
            commerce_events.emit(payload)
        assert ["fails", "works"] == ran
        assert ("product_search", payload, [fails]) == (
            info.value.event,
            info.value.payload,
            [sub for sub, _ in info.value.failures],
        )
        (exc,) = info.value.exceptions
        assert any("product_search" in note for note in exc.__notes__)


class TestPicklesAcrossProcesses:
    """Errors that reach a worker or come back from one keep what they say.

    Celery and multiprocessing pickle exceptions; each keeps its message and
    its attributes through a round trip.
    """

    @pytest.mark.parametrize(
        ("error", "attributes"),
        [
            (
                exceptions.SerializationError(
                    "order_placed", commerce_events.OrderPlaced, {"order": "no hook"}
                ),
                {"event": "order_placed", "fields": {"order": "no hook"}},
            ),
            (
                exceptions.EnvelopeError({"id": "missing"}),
                {"fields": {"id": "missing"}},
            ),
            (
                exceptions.ForwardingError(
                    "order_placed",
                    uuid.UUID(int=7),
                    "redis stream 'shop'",
                    "connection refused",
                ),
                {
                    "event": "order_placed",
                    "event_id": uuid.UUID(int=7),
                    "destination": "redis stream 'shop'",
                    "reason": "connection refused",
                },
            ),
            (
                exceptions.AsyncDeliveryError("order_placed", "no bridge"),
                {"event": "order_placed", "reason": "no bridge"},
            ),
            (
                exceptions.EventRecursionError(["order_placed", "product_viewed"]),
                {"chain": ("order_placed", "product_viewed")},
            ),
        ],
        ids=lambda value: type(value).__name__ if isinstance(value, Exception) else "",
    )
    def test_round_trip(self, error, attributes):
        copy = _roundtrip(error)

        assert (type(error), str(error)) == (type(copy), str(copy))
        assert attributes == {name: getattr(copy, name) for name in attributes}

    def test_delivery_error_round_trip_and_split(self):
        """A DeliveryError stays one when pickled, and when split by except*."""
        error = exceptions.DeliveryError([ValueError("a"), KeyError("b")])

        copy = _roundtrip(error)
        try:
            raise copy
        except* KeyError as keys:
            split = keys
        except* ValueError:
            pass

        assert isinstance(copy, exceptions.DeliveryError)
        assert ["a", "'b'"] == [str(e) for e in copy.exceptions]
        assert isinstance(split, exceptions.DeliveryError)
        assert ["'b'"] == [str(e) for e in split.exceptions]
