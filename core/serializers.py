"""Request bodies as every app's api reads them."""

from rest_framework import serializers


# A request body validated whole whatever the method, so that its required fields are required in a PATCH
# too (a role change names its role). DRF's update views and drf-spectacular make a PATCH's serializer
# partial, every field optional; Parley's views validate a PATCH body as it comes, and with this the OpenAPI
# schema says so: the body's own component, its `required` kept, not a `Patched…` one. (A comment, not a
# docstring: drf-spectacular would show a docstring as the description of every body made with it.)
class WholeBodySerializer(serializers.Serializer):
    @property
    def partial(self) -> bool:
        return False

    @partial.setter
    def partial(self, value: bool) -> None:
        pass  # DRF and drf-spectacular set it; a whole body stays whole
