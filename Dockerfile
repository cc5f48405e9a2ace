FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/equiwait
RUN useradd --system --uid 10001 equiwait
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY api ./api
COPY models ./models
COPY prioritisation ./prioritisation
COPY web ./web
COPY migrations ./migrations
COPY scripts/docker-entrypoint.sh ./scripts/docker-entrypoint.sh
RUN pip install --upgrade pip==25.3 && pip install -e . && chown -R equiwait /srv/equiwait
USER equiwait
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
ENTRYPOINT ["bash", "scripts/docker-entrypoint.sh"]
