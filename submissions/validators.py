from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat


class MaxFileSizeValidator:
    def __init__(self, limit):
        self.limit = limit

    def __call__(self, uploaded_file):
        if uploaded_file.size > self.limit:
            raise ValidationError(
                "This file is %(size)s; the limit is %(limit)s. "
                "Please make it smaller (for example, export a compressed PDF) and try again.",
                code="file_too_large",
                params={
                    "size": filesizeformat(uploaded_file.size),
                    "limit": filesizeformat(self.limit),
                },
            )


def validate_not_empty(uploaded_file):
    if uploaded_file.size == 0:
        raise ValidationError(
            "This file is empty (0 bytes). Please check you picked the right file and try again.",
            code="empty_file",
        )
