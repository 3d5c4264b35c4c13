import factory

from notifications.models import PushSubscription
from tests.accounts.factories import UserFactory


class PushSubscriptionFactory(factory.django.DjangoModelFactory):
    """Give it a browser from the fake push service: `PushSubscriptionFactory(user=u, browser=b)`."""

    class Meta:
        model = PushSubscription
        exclude = ["browser"]

    user = factory.SubFactory(UserFactory)
    browser = None
    endpoint = factory.LazyAttribute(lambda s: s.browser.endpoint)
    p256dh = factory.LazyAttribute(lambda s: s.browser.p256dh)
    auth = factory.LazyAttribute(lambda s: s.browser.auth)
    device_name = "Test browser"
