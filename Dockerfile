# Wijkhulp in a container: the wheel (catalogs compiled, migrations inside) and the locked packages, run as an
# unprivileged user. See README, "Running it for a region".
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY requirements ./requirements
COPY app ./app
COPY bot ./bot
COPY db ./db
COPY handlers ./handlers
COPY locales ./locales
RUN pip wheel --no-deps --wheel-dir /wheels . \
 && python -m venv /opt/wijkhulp \
 && /opt/wijkhulp/bin/pip install --no-cache-dir --require-hashes -r requirements/run.txt \
 && /opt/wijkhulp/bin/pip install --no-cache-dir --no-deps /wheels/wijkhulp-*.whl

FROM python:3.11-slim
COPY --from=build /opt/wijkhulp /opt/wijkhulp
RUN useradd --system --home-dir /srv/wijkhulp --create-home --uid 10001 wijkhulp
USER wijkhulp
WORKDIR /srv/wijkhulp
ENV PATH=/opt/wijkhulp/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    WEBHOOK_LISTEN=0.0.0.0:8443
EXPOSE 8443
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8443/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["wijkhulp"]
CMD ["run"]
