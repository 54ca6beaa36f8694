# One image for every process kind (web, sfu, transcriber, celery, beat); the command picks one.
# Used by deploy/compose/docker-compose.yml and the manifests in deploy/kubernetes/.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=conference.settings STATIC_ROOT=/app/staticfiles
# cmake + g++: llama-cpp-python builds from source (about 5 minutes on 2 cores, once per image).
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends cmake g++ libpq5 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt requirements-nodeps.txt ./
RUN CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install -q -r requirements.txt \
    && pip install -q --no-deps -r requirements-nodeps.txt
COPY . .
# The SFU's C fast path (gcc comes with g++); without it the SFU forwards in Python.
RUN python sfu/fastpath_build.py
# The development key only lets collectstatic run; settings refuse it at run time with DEBUG off.
RUN SECRET_KEY=build-only DEBUG=True python manage.py collectstatic --noinput -v 0
RUN useradd --system --uid 10001 meet && chown -R meet /app/staticfiles
USER meet
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "conference.asgi:application"]
