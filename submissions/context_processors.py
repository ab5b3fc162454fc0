from submissions.residency import storage_location


def storage(request):
    """STORAGE_LOCATION: where answer files are kept, as a phrase for a sentence ("in the EU
    (Cloudflare R2)"), translated."""
    return {"STORAGE_LOCATION": storage_location().label}
