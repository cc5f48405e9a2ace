FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/equiwait
RUN useradd --system --uid 10001 equiwait
# Dependencies from the lock file only, checked against its hashes (a layer of their own).
COPY requirements.lock ./
RUN pip install --upgrade pip==25.3 && pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY api ./api
COPY models ./models
COPY prioritisation ./prioritisation
COPY web ./web
COPY migrations ./migrations
COPY scripts/docker-entrypoint.sh ./scripts/docker-entrypoint.sh
# The project itself: not editable, no dependencies of its own choosing; the code stays root's.
RUN pip install --no-deps . && rm -rf build *.egg-info && mkdir -p var && chown equiwait var
USER equiwait
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
ENTRYPOINT ["bash", "scripts/docker-entrypoint.sh"]
