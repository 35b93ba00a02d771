"""deploy/install.sh's rendering steps, checked by nginx itself, and the environment template kept in sync."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def run_install_steps(tmp_path, *steps, **settings):
    """Source deploy/install.sh and run the named step functions with the given settings."""
    env = {
        **os.environ,
        "SERVER_NAME": "grid.example.test",
        "CONF_DIR": str(tmp_path / "etc/gridpatrol"),
        "NGINX_DIR": str(tmp_path / "etc/nginx"),
        "SYSTEMD_DIR": str(tmp_path / "etc/systemd"),
        "NGINX_LOG_DIR": str(tmp_path / "log"),
        "APP_DIR": str(ROOT),
        "DATA_DIR": str(tmp_path / "data"),
        "BACKUP_DIR": str(tmp_path / "backups"),
        "APP_USER": "gridpatrol-test-nobody",
        **settings,
    }
    (tmp_path / "log").mkdir(exist_ok=True)
    script = f"source {ROOT}/deploy/install.sh && " + " && ".join(steps)
    return subprocess.run(["/bin/bash", "-c", script], env=env, capture_output=True, text=True, check=True, timeout=60)  # noqa: S603


def nginx_test(tmp_path):
    """`nginx -t` on a main config that includes the rendered site, as Debian's nginx.conf does."""
    assert os.path.exists(NGINX), "nginx is required (scripts/ensure-system.sh installs it)"
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/log/error.log;\n"
        "include /etc/nginx/modules-enabled/*.conf;\nevents {}\n"
        "http {\n  include /etc/nginx/mime.types;\n"
        f"  include {tmp_path}/etc/nginx/sites-available/gridpatrol.conf;\n}}\n"
    )
    return subprocess.run([NGINX, "-t", "-c", str(main)], capture_output=True, text=True, timeout=30)  # noqa: S603


def test_rendered_nginx_config_passes_nginx_t(tmp_path):
    run_install_steps(tmp_path, "render_config")
    result = nginx_test(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_nginx_site_caches_hashed_assets_not_the_service_worker_and_limits_bodies(tmp_path):
    run_install_steps(tmp_path, "render_config")
    env_file = tmp_path / "etc/gridpatrol/gridpatrol.env"
    env_file.write_text(env_file.read_text() + "MAX_UPLOAD_MB=20\nMETRICS_ALLOW=10.1.0.0/16\n")
    os.unlink(tmp_path / "etc/nginx/sites-available/gridpatrol.conf")
    run_install_steps(tmp_path, "render_nginx")
    site = (tmp_path / "etc/nginx/sites-available/gridpatrol.conf").read_text()
    assert "@@" not in site
    assert "client_max_body_size 20m;" in site, "nginx follows MAX_UPLOAD_MB of the environment file"
    assets = site.split("location ^~ /app/assets/")[1].split("}")[0]
    assert "max-age=31536000, immutable" in assets and str(ROOT / "static/pwa/dist/assets/") in assets
    for location in ("location = /sw.js", "location = /app/manifest.webmanifest"):
        assert "no-cache" in site.split(location)[1].split("location")[0], location
    metrics = site.split("location = /metrics")[1].split("}")[0]
    assert "allow 10.1.0.0/16;" in metrics and "deny all;" in metrics
    proxy = (tmp_path / "etc/nginx/snippets/gridpatrol-proxy.conf").read_text()
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Request-ID"):
        assert f"proxy_set_header {header}" in proxy
    assert "gzip on;" in (tmp_path / "etc/nginx/snippets/gridpatrol-compression.conf").read_text()
    assert nginx_test(tmp_path).returncode == 0


def test_rendering_again_keeps_the_secrets(tmp_path):
    run_install_steps(tmp_path, "render_config")
    env_file = tmp_path / "etc/gridpatrol/gridpatrol.env"
    first = env_file.read_text()
    second_run = run_install_steps(tmp_path, "render_config")
    assert env_file.read_text() == first
    assert "keeping" in second_run.stdout
    values = dict(re.findall(r"^([A-Z_]+)=(.*)$", first, re.M))
    assert len(values["SECRET_KEY"]) >= 32
    assert values["DATABASE_URL"].startswith("postgresql://gridpatrol:")
    assert oct(env_file.stat().st_mode & 0o777) == "0o640"


def test_units_are_rendered_with_graceful_reload_and_a_nightly_backup(tmp_path):
    run_install_steps(tmp_path, "render_units")
    service = (tmp_path / "etc/systemd/gridpatrol.service").read_text()
    assert f"ExecStart={ROOT}/.venv/bin/gunicorn -c {ROOT}/deploy/gunicorn.conf.py wsgi:app" in service
    assert "ExecReload=/bin/kill -s HUP $MAINPID" in service
    assert "User=gridpatrol-test-nobody" in service and "@@" not in service
    timer = (tmp_path / "etc/systemd/gridpatrol-backup.timer").read_text()
    assert "OnCalendar=*-*-* 02:30:00" in timer and "Persistent=true" in timer
    backup = (tmp_path / "etc/systemd/gridpatrol-backup.service").read_text()
    assert f"ExecStart={ROOT}/deploy/backup.sh" in backup
    upkeep_timer = (tmp_path / "etc/systemd/gridpatrol-upkeep.timer").read_text()
    assert "OnUnitActiveSec=1min" in upkeep_timer and "OnBootSec=1min" in upkeep_timer
    upkeep = (tmp_path / "etc/systemd/gridpatrol-upkeep.service").read_text()
    assert "@@" not in upkeep and "Type=oneshot" in upkeep
    assert f"ExecStart={ROOT}/.venv/bin/flask patrols upkeep" in upkeep and "Environment=FLASK_APP=wsgi" in upkeep


def settings_read_by(path):
    source = (ROOT / path).read_text()
    names = set(re.findall(r"""env(?:iron)?\.get\(\s*["']([A-Z][A-Z0-9_]+)["']""", source))
    names |= set(re.findall(r"""\(\s*env\s*,\s*["']([A-Z][A-Z0-9_]+)["']""", source))
    names |= set(re.findall(r"""_int\(\s*["']([A-Z][A-Z0-9_]+)["']""", source))
    names |= set(re.findall(r"""environ\[\s*["']([A-Z][A-Z0-9_]+)["']\s*\]""", source))
    return names


@pytest.mark.parametrize("path", ["patrol/config.py", "deploy/gunicorn.conf.py"])
def test_environment_template_lists_every_setting(path):
    template = (ROOT / "deploy/gridpatrol.env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", template, re.M))
    read = settings_read_by(path)
    assert len(read) > 5
    missing = read - listed
    assert not missing, f"add these settings to deploy/gridpatrol.env.example: {sorted(missing)}"


def test_database_step_creates_a_least_privilege_owner_and_is_idempotent(tmp_path):
    name, role = "gridpatrol_test_install_step", "gridpatrol_test_install_role"

    def admin(sql, database="postgres"):
        command = ["/usr/sbin/runuser", "-u", "postgres", "--", "psql", "-qAtX", "-d", database, "-c", sql]
        return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout.strip()  # noqa: S603

    try:
        for _ in range(2):
            run_install_steps(tmp_path, "setup_database", DB_NAME=name, DB_USER=role)
        flags = admin(
            f"SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication FROM pg_roles WHERE rolname = '{role}'"
        )
        assert flags == "f|f|f|f"
        assert admin(f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{name}'") == role
        assert admin(f"SELECT has_database_privilege('public', '{name}', 'CONNECT')") == "f"
        assert admin("SELECT extname FROM pg_extension WHERE extname = 'postgis'", name) == "postgis"
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin(f'DROP ROLE IF EXISTS "{role}"')


def _exec_start(unit_text):
    """The ExecStart command of a unit as argv (continuation lines joined)."""
    joined = unit_text.replace("\\\n", " ")
    return re.search(r"^ExecStart=(.*)$", joined, re.M).group(1).split()


def test_tracker_gateway_unit_starts_the_gateway_and_nginx_routes_fixes_to_it(tmp_path):
    run_install_steps(tmp_path, "render_config")
    env_file = tmp_path / "etc/gridpatrol/gridpatrol.env"
    env_file.write_text(env_file.read_text() + "TRACKER_BIND=127.0.0.1:8101\nTRACKER_WORKERS=1\n")
    run_install_steps(tmp_path, "render_units", "render_nginx")
    unit = (tmp_path / "etc/systemd/gridpatrol-trackers.service").read_text()
    assert "@@" not in unit and "RuntimeDirectoryPreserve=yes" in unit
    argv = _exec_start(unit)
    assert argv[0] == f"{ROOT}/.venv/bin/uvicorn" and "patrol.patrols.tracker_gateway:create_gateway" in argv
    assert argv[argv.index("--port") + 1] == "8101" and argv[argv.index("--workers") + 1] == "1"
    site = (tmp_path / "etc/nginx/sites-available/gridpatrol.conf").read_text()
    upstream = site.split("upstream gridpatrol_trackers")[1].split("}")[0]
    assert "server 127.0.0.1:8101" in upstream and "server 127.0.0.1:8000 backup;" in upstream
    assert "proxy_pass http://gridpatrol_trackers;" in site.split("location = /api/v1/osmand")[1].split("}")[0]
    assert nginx_test(tmp_path).returncode == 0

    # The unit's own command line serves the app (everything but the common fix goes to the Flask app).
    port = _free_port()
    argv[argv.index("--port") + 1] = str(port)
    env = {
        **os.environ,
        "DATABASE_URL": os.environ["TEST_DATABASE_URL"],
        "SECRET_KEY": "s" * 40,
        "AUDIT_KEY": "k" * 40,
        "PHOTO_DIR": str(tmp_path / "photos"),
        "AUDIT_ANCHOR_DIR": str(tmp_path / "audit"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    (tmp_path / "metrics").mkdir()
    popen = {"cwd": ROOT, "env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
    with subprocess.Popen(argv, **popen) as process:  # noqa: S603
        try:
            assert _wait_for_health(port, process), process.stderr.read1().decode(errors="replace")[-2000:]
        finally:
            process.terminate()
            process.wait(timeout=20)


def _free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_health(port, process, seconds=30):
    import http.client
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200:
                    return True
            finally:
                conn.close()
        except OSError:
            time.sleep(0.2)
    return False


def test_open311_unit_runs_the_delivery_loop_command(tmp_path):
    run_install_steps(tmp_path, "render_units")
    unit = (tmp_path / "etc/systemd/gridpatrol-open311.service").read_text()
    assert "@@" not in unit and "Restart=always" in unit and "Environment=FLASK_APP=wsgi" in unit
    argv = _exec_start(unit)
    assert argv == [f"{ROOT}/.venv/bin/flask", "open311", "deliver", "--loop"]
    # The same command once (without --loop) runs against a database and exits cleanly.
    env = {**os.environ, "DATABASE_URL": os.environ["TEST_DATABASE_URL"], "FLASK_APP": "wsgi"}
    done = subprocess.run(argv[:-1], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "delivered 0" in done.stdout


def _log_formats(config_text):
    """Every log_format directive of an nginx config, joined over its continuation lines."""
    return re.findall(r"^\s*log_format\s+(\S+)\s+((?:'[^']*'\s*)+);", config_text, flags=re.MULTILINE)


def test_nginx_logs_no_query_strings_device_keys_or_coordinates(tmp_path):
    run_install_steps(tmp_path, "render_config")
    site = (tmp_path / "etc/nginx/sites-available/gridpatrol.conf").read_text()
    formats = dict(_log_formats(site))
    assert formats, "the site defines its own log format"
    for name, fmt in formats.items():
        for variable in ("$request ", '$request"', "$request_uri", "$args", "$query_string", "$arg_", "$http_referer"):
            assert variable not in fmt, (name, variable)
        assert "$uri" in fmt and "$status" in fmt
    for line in re.findall(r"^\s*access_log\s+(.+);", site, flags=re.MULTILINE):
        assert line.strip() == "off" or line.split()[-1] in formats, f"access_log without the safe format: {line}"
    osmand = site.split("location = /api/v1/osmand")[1].split("}")[0]
    assert re.search(r"error_log\s+\S+\s+crit;", osmand), "error lines quote the request line with the key"
    assert nginx_test(tmp_path).returncode == 0


def test_gunicorn_access_log_has_no_query_string():
    conf = (ROOT / "deploy/gunicorn.conf.py").read_text()
    fmt = re.search(r"^access_log_format = (.+)$", conf, flags=re.MULTILINE).group(1)
    assert "%(r)s" not in fmt and "%(q)s" not in fmt
    assert "%(U)s" in fmt
