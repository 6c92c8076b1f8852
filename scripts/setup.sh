#!/usr/bin/env bash
# Installs and starts only what is missing, so a second run is quick. Called by `make setup`.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/python.sh
PYTHON=$(choose_python)
VENV=${VENV:-.venv}
DATABASE_URL=${DATABASE_URL:-postgres://mka1:mka1@127.0.0.1:5432/mka1}
CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}
RABBITMQ_URL=${RABBITMQ_URL:-amqp://guest:guest@127.0.0.1:5672//}
mkdir -p var

say() { printf '%s\n' "setup: $*"; }
die() { printf '%s\n' "setup: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# One URL's parts: scheme host port user password path.
url_part() {
  "$PYTHON" -c 'import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1]); part = sys.argv[2]
print({"host": p.hostname or "127.0.0.1", "port": p.port or {"postgres": 5432, "postgresql": 5432,
 "redis": 6379, "amqp": 5672}.get(p.scheme, 0), "user": u.unquote(p.username or ""),
 "password": u.unquote(p.password or ""), "name": p.path.lstrip("/")}[part])' "$1" "$2"
}
is_local() { case "$1" in 127.0.0.1|localhost|::1) return 0 ;; *) return 1 ;; esac; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 "${3:-60}"); do port_open "$1" "$2" && return 0; sleep 1; done
  return 1
}

python_supported "$PYTHON" ||
  die "$PYTHON is not CPython 3.11 to 3.13; install one (apt-get install python3) or set PYTHON="

# 1. Debian packages.
# wrk is the load generator of bench/submit.py (PyPI's wrk is an unrelated package).
packages=(postgresql postgresql-contrib redis-server rabbitmq-server chromium wrk)
venv_needs=$(venv_package "$PYTHON") ||
  die "$PYTHON has no venv or ensurepip module; rebuild it with them or set PYTHON= to another"
[ -z "$venv_needs" ] || packages+=("$venv_needs")
missing=()
for package in "${packages[@]}"; do installed "$package" || missing+=("$package"); done
if [ ${#missing[@]} -gt 0 ]; then
  if is_root && command -v apt-get >/dev/null; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    die "missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}"
  fi
fi

# 2. PostgreSQL, its role and database (when DATABASE_URL points at this machine).
db_host=$(url_part "$DATABASE_URL" host); db_port=$(url_part "$DATABASE_URL" port)
db_user=$(url_part "$DATABASE_URL" user); db_password=$(url_part "$DATABASE_URL" password)
db_name=$(url_part "$DATABASE_URL" name)
if is_local "$db_host"; then
  if ! pg_isready -q -h 127.0.0.1 -p "$db_port"; then
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    [ -n "$version" ] || die "PostgreSQL is installed but has no cluster; create one with: pg_createcluster 15 main"
    say "starting PostgreSQL $version"
    if is_root; then
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    else
      die "PostgreSQL is not running on port $db_port; start it with: sudo pg_ctlcluster $version main start"
    fi
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$db_port" && break; sleep 1; done
    pg_isready -q -h 127.0.0.1 -p "$db_port" || die "PostgreSQL did not start; see /var/log/postgresql/"
  fi
  if is_root; then
    as_postgres() { runuser -u postgres -- psql -p "$db_port" -v ON_ERROR_STOP=1 -qtA "$@"; }
    if [ "$(as_postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$db_user'")" != "1" ]; then
      say "creating database role $db_user"
      as_postgres -c "CREATE ROLE \"$db_user\" LOGIN CREATEDB PASSWORD '$db_password'"
    fi
    if [ "$(as_postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db_name'")" != "1" ]; then
      say "creating database $db_name"
      as_postgres -c "CREATE DATABASE \"$db_name\" OWNER \"$db_user\""
    fi
  fi
fi

# 3. The brokers: Redis by default; RabbitMQ for the tests that prove amqp:// works too.
broker_host=$(url_part "$CELERY_BROKER_URL" host); broker_port=$(url_part "$CELERY_BROKER_URL" port)
if [[ "$CELERY_BROKER_URL" == redis* ]] && is_local "$broker_host" && ! port_open 127.0.0.1 "$broker_port"; then
  say "starting Redis on port $broker_port"
  mkdir -p var/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port "$broker_port" --dir "$PWD/var/redis" \
    --logfile "$PWD/var/redis/redis.log"
  wait_port 127.0.0.1 "$broker_port" 20 || die "Redis did not start; see var/redis/redis.log"
fi
rabbit_host=$(url_part "$RABBITMQ_URL" host); rabbit_port=$(url_part "$RABBITMQ_URL" port)
if [ "${SETUP_RABBITMQ:-1}" = 1 ] && is_local "$rabbit_host" && ! port_open 127.0.0.1 "$rabbit_port"; then
  if is_root; then
    say "starting RabbitMQ"
    rabbitmq-server -detached >/dev/null 2>&1 || true
    wait_port 127.0.0.1 "$rabbit_port" 90 || say "RabbitMQ did not start; the amqp:// tests will say so"
  else
    say "RabbitMQ is not running; the amqp:// tests need it (sudo rabbitmq-server -detached)"
  fi
fi

# 4. The virtualenv, made again when the chosen interpreter is not the one it was made with, and
# the project's packages, reinstalled only when pyproject.toml changes.
interpreter=$(python_identity "$PYTHON") || die "$PYTHON does not run"
if [ -x "$VENV/bin/python" ]; then
  made_with=$(cat "$VENV/.interpreter" 2>/dev/null || python_identity "$VENV/bin/python" || true)
  if [ "$made_with" != "$interpreter" ]; then
    [ -f "$VENV/pyvenv.cfg" ] || die "$VENV is not a virtualenv; move it away and run again"
    say "making the virtualenv again with $interpreter (it was made with ${made_with:-one gone})"
    rm -rf "$VENV"
  fi
fi
if [ ! -x "$VENV/bin/python" ]; then
  say "creating the virtualenv in $VENV with $interpreter"
  "$PYTHON" -m venv "$VENV"
fi
[ "$(cat "$VENV/.interpreter" 2>/dev/null)" = "$interpreter" ] ||
  printf '%s\n' "$interpreter" >"$VENV/.interpreter"
stamp="$VENV/.installed-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  say "installing Python packages"
  "$VENV/bin/pip" install -q --upgrade pip >/dev/null
  "$VENV/bin/pip" install -q -e '.[dev]'
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi

# 5. This installation's secret key, written once, readable by its owner only (var/ is not in git).
if [ ! -s var/secret_key ]; then
  say "writing a random secret key to var/secret_key"
  (umask 077 && "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(50))' >var/secret_key.new)
  mv var/secret_key.new var/secret_key
fi

# 6. The database schema and the static files.
export DATABASE_URL CELERY_BROKER_URL
"$VENV/bin/python" manage.py preflight >/dev/null
"$VENV/bin/python" manage.py migrate --noinput -v 0
static_stamp=var/.collectstatic
if [ ! -f "$static_stamp" ] || [ -n "$(find static -newer "$static_stamp" -print -quit)" ]; then
  "$VENV/bin/python" manage.py collectstatic --noinput -v 0
  touch "$static_stamp"
fi
say "ready"
