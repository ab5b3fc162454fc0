FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# nginx reads every request body to its end before gunicorn sees it (depository/serve.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The lock file: each distribution at the version and hashes `make lock` wrote.
COPY requirements.lock .
RUN pip install --require-hashes --no-deps -r requirements.lock

COPY . .
# Static files are collected into the image, with whitenoise's compressed copies: nginx
# serves them (depository/serve.py).
RUN python manage.py collectstatic --noinput --verbosity 0 \
    && useradd --system --uid 10001 --no-create-home app

USER app
EXPOSE 8000
# nginx on $PORT (8000) in front, gunicorn (gunicorn.conf.py) behind it on a Unix socket.
CMD ["python", "-m", "depository.serve"]
