"""Starting file trees of the scenario repositories (small but real-looking services)."""

from __future__ import annotations

from collections.abc import Sequence

CI = """name: ci
on:
  push:
    branches: [main]
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""

RUNBOOK = """# Runbook

## Dashboards

- Service overview: grafana/d/overview
- Error budget: grafana/d/slo

## Rollback

Use `make rollback ENV=production` or redeploy the previous release from the deploy UI.
"""


def _common(name: str) -> dict[str, str]:
    return {
        "README.md": f"# {name}\n\nOwned by the platform team. See docs/runbook.md.\n",
        "docs/runbook.md": RUNBOOK,
        ".github/workflows/ci.yml": CI,
        ".gitignore": "__pycache__/\n*.pyc\n/dist/\n",
    }


def python_service(pkg: str, service: str) -> dict[str, str]:
    """A Flask + SQLAlchemy service with config, migrations, tests and a k8s manifest."""
    return _common(service) | {
        "requirements.txt": "flask==3.0.2\ngunicorn==21.2.0\nsqlalchemy==2.0.25\n"
        "psycopg2-binary==2.9.9\nredis==5.0.1\nrequests==2.31.0\nurllib3==1.26.18\n"
        "pyyaml==6.0.1\n",
        f"{pkg}/__init__.py": f'"""The {service} service."""\n',
        f"{pkg}/settings.py": (
            "import os\n\nimport yaml\n\n\ndef load(env: str | None = None) -> dict:\n"
            "    env = env or os.environ.get(\"APP_ENV\", \"development\")\n"
            "    with open(f\"config/{env}.yaml\") as fh:\n        return yaml.safe_load(fh)\n"
        ),
        f"{pkg}/db.py": (
            "from sqlalchemy import create_engine\n\nfrom .settings import load\n\n"
            "_cfg = load()[\"database\"]\n\nengine = create_engine(\n    _cfg[\"url\"],\n"
            "    pool_size=_cfg[\"pool_size\"],\n    max_overflow=_cfg[\"max_overflow\"],\n"
            "    pool_timeout=_cfg[\"pool_timeout_s\"],\n    pool_pre_ping=True,\n)\n"
        ),
        f"{pkg}/app.py": (
            "from flask import Flask, jsonify\n\nfrom .db import engine\n\n"
            "app = Flask(__name__)\n\n\n@app.get(\"/healthz\")\ndef healthz():\n"
            "    return jsonify(status=\"ok\")\n\n\n@app.get(\"/v1/status\")\ndef status():\n"
            "    with engine.connect() as conn:\n        conn.exec_driver_sql(\"SELECT 1\")\n"
            "    return jsonify(db=\"ok\")\n"
        ),
        "config/production.yaml": (
            "database:\n  url: postgresql://app@db-primary.internal:5432/app\n  pool_size: 20\n"
            "  max_overflow: 10\n  pool_timeout_s: 30\ncache:\n  url: redis://cache.internal:6379/0\n"
            "  ttl_s: 300\nhttp:\n  timeout_s: 5\n  retries: 3\nlog_level: info\n"
        ),
        "config/development.yaml": (
            "database:\n  url: postgresql://app@localhost:5432/app\n  pool_size: 5\n"
            "  max_overflow: 0\n  pool_timeout_s: 5\ncache:\n  url: redis://localhost:6379/0\n"
            "  ttl_s: 30\nhttp:\n  timeout_s: 5\n  retries: 0\nlog_level: debug\n"
        ),
        "migrations/0001_init.sql": (
            "CREATE TABLE accounts (\n    id BIGSERIAL PRIMARY KEY,\n"
            "    email TEXT NOT NULL UNIQUE,\n"
            "    created_at TIMESTAMPTZ NOT NULL DEFAULT now()\n);\n"
        ),
        "tests/test_app.py": (
            "import pytest\n\nfrom " + pkg + ".app import app\n\n\n@pytest.fixture\n"
            "def client():\n    return app.test_client()\n\n\ndef test_healthz(client):\n"
            "    assert client.get(\"/healthz\").status_code == 200\n"
        ),
        "Dockerfile": (
            "FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\n"
            "RUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\n"
            f"CMD [\"gunicorn\", \"-w\", \"4\", \"-b\", \"0.0.0.0:8080\", \"{pkg}.app:app\"]\n"
        ),
        "deploy/k8s/deployment.yaml": _k8s(service),
    }


def go_service(module: str, service: str) -> dict[str, str]:
    """A Go HTTP/gRPC service with go.mod, a handler package and its tests."""
    return _common(service) | {
        "go.mod": (
            f"module {module}\n\ngo 1.22\n\nrequire (\n"
            "\tgithub.com/prometheus/client_golang v1.19.0\n"
            "\tgoogle.golang.org/grpc v1.62.1\n\tgoogle.golang.org/protobuf v1.33.0\n)\n"
        ),
        "go.sum": (
            "github.com/prometheus/client_golang v1.19.0 "
            "h1:ygXvpU1AoN1MhdzckN+PyD9QJOSD4x7kmXYlnfbA6JU=\n"
            "google.golang.org/grpc v1.62.1 h1:B4n+nfKzOICUXMgyrNd19h/I9oH0L1pizfk1d4zSgTk=\n"
            "google.golang.org/protobuf v1.33.0 h1:uNO2rsAINq/JlFpSdYEKIZ0uKD/R9cpdv0T+yoGwGmI=\n"
        ),
        f"cmd/{service}/main.go": (
            "package main\n\nimport (\n\t\"log\"\n\t\"net/http\"\n\n"
            f"\t\"{module}/internal/server\"\n)\n\nfunc main() {{\n"
            "\tlog.Fatal(http.ListenAndServe(\":8080\", server.New()))\n}\n"
        ),
        "internal/server/server.go": (
            "package server\n\nimport (\n\t\"net/http\"\n\t\"strings\"\n\t\"time\"\n)\n\n"
            "const requestTimeout = 5 * time.Second\n\n// New returns the HTTP handler.\n"
            "func New() http.Handler {\n\tmux := http.NewServeMux()\n"
            "\tmux.HandleFunc(\"/healthz\", func(w http.ResponseWriter, _ *http.Request) {\n"
            "\t\tw.WriteHeader(http.StatusOK)\n\t})\n"
            "\treturn http.TimeoutHandler(mux, requestTimeout, \"timeout\")\n}\n\n"
            "func normalize(s string) string { return strings.ToLower(strings.TrimSpace(s)) }\n"
        ),
        "internal/server/server_test.go": (
            "package server\n\nimport \"testing\"\n\nfunc TestNormalize(t *testing.T) {\n"
            "\tif normalize(\" A \") != \"a\" {\n\t\tt.Fatal(\"normalize\")\n\t}\n}\n"
        ),
        "Makefile": (
            "GOOS ?= linux\nGOARCH ?= amd64\n\nbuild:\n"
            "\tCGO_ENABLED=0 GOOS=$(GOOS) GOARCH=$(GOARCH) "
            f"go build -o bin/{service} ./cmd/{service}\n"
            "\ntest:\n\tgo test ./...\n"
        ),
        "Dockerfile": (
            "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN make build\n\n"
            f"FROM gcr.io/distroless/static\nCOPY --from=build /src/bin/{service} /{service}\n"
            f"ENTRYPOINT [\"/{service}\"]\n"
        ),
        "deploy/k8s/deployment.yaml": _k8s(service),
    }


def node_app(name: str) -> dict[str, str]:
    """A TypeScript web app with package.json and a lockfile excerpt."""
    return _common(name) | {
        "package.json": (
            f'{{\n  "name": "{name}",\n  "private": true,\n  "scripts": {{\n'
            '    "build": "vite build",\n    "test": "vitest run"\n  },\n  "dependencies": {\n'
            '    "date-fns": "^2.30.0",\n    "react": "^18.2.0",\n    "zod": "^3.22.4"\n  },\n'
            '  "devDependencies": {\n    "typescript": "^5.4.2",\n    "vitest": "^1.4.0"\n  }\n}\n'
        ),
        "package-lock.json": (
            f'{{\n  "name": "{name}",\n  "lockfileVersion": 3,\n  "packages": {{\n'
            '    "node_modules/date-fns": {\n      "version": "2.30.0"\n    },\n'
            '    "node_modules/react": {\n      "version": "18.2.0"\n    },\n'
            '    "node_modules/zod": {\n      "version": "3.22.4"\n    }\n  }\n}\n'
        ),
        "src/api.ts": (
            "export async function getJSON<T>(path: string): Promise<T> {\n"
            "  const res = await fetch(`/api${path}`, { credentials: 'include' });\n"
            "  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);\n"
            "  return res.json() as Promise<T>;\n}\n"
        ),
        "src/checkout.ts": (
            "import { format } from 'date-fns';\nimport { getJSON } from './api';\n\n"
            "export interface Cart { id: string; total: number; deliveryDate: string }\n\n"
            "export async function loadCheckout(cartId: string) {\n"
            "  const cart = await getJSON<Cart>(`/carts/${cartId}`);\n"
            "  return { ...cart, delivery: format(new Date(cart.deliveryDate), 'PPP') };\n}\n"
        ),
        "src/normalize.ts": "export const normalize = (s: string) => s.trim().toLowerCase();\n",
        "tests/app.test.ts": (
            "import { expect, test } from 'vitest';\n"
            "import { normalize } from '../src/normalize';\n"
            "\ntest('normalize trims', () => {\n  expect(normalize(' A ')).toBe('a');\n});\n"
        ),
    }


def rust_service(name: str) -> dict[str, str]:
    """A Rust agent with Cargo.toml and Cargo.lock."""
    return _common(name) | {
        "Cargo.toml": (
            f'[package]\nname = "{name}"\nversion = "0.9.0"\nedition = "2021"\n\n[dependencies]\n'
            'tokio = { version = "1", features = ["full"] }\nreqwest = { version = "0.11", '
            'default-features = false, features = ["rustls-tls"] }\nserde = "1"\n'
        ),
        "Cargo.lock": _cargo_lock(name, "0.21.10", "0.11.24"),
        "src/main.rs": (
            "mod batch;\n\n#[tokio::main]\nasync fn main() {\n"
            "    batch::run(batch::Config::from_env()).await;\n}\n"
        ),
        "src/batch.rs": (
            "pub struct Config { pub max_batch: usize, pub flush_ms: u64 }\n\nimpl Config {\n"
            "    pub fn from_env() -> Self { Config { max_batch: 500, flush_ms: 1000 } }\n}\n\n"
            "pub async fn run(cfg: Config) {\n    let _ = (cfg.max_batch, cfg.flush_ms);\n}\n\n"
            "pub fn normalize(s: &str) -> String { s.trim().to_lowercase() }\n"
        ),
        "tests/smoke.rs": "use agent::batch::normalize;\n",
    }


def _cargo_lock(name: str, rustls: str, reqwest: str) -> str:
    return (
        "# This file is automatically @generated by Cargo.\nversion = 3\n\n"
        f'[[package]]\nname = "{name}"\nversion = "0.9.0"\n\n'
        f'[[package]]\nname = "reqwest"\nversion = "{reqwest}"\n\n'
        f'[[package]]\nname = "rustls"\nversion = "{rustls}"\n\n'
        '[[package]]\nname = "tokio"\nversion = "1.36.0"\n'
    )


cargo_lock = _cargo_lock


def monorepo(services: Sequence[str]) -> dict[str, str]:
    """Many Python services under services/, a shared library and Terraform."""
    files = _common("platform") | {
        "libs/common/http.py": (
            "import requests\n\nDEFAULT_TIMEOUT_S = 5\n\n\ndef session() -> requests.Session:\n"
            "    s = requests.Session()\n    s.headers[\"User-Agent\"] = \"acme-platform\"\n"
            "    return s\n"
        ),
        "infra/terraform/main.tf": (
            'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", '
            'version = "~> 5.40" }\n  }\n}\n\nprovider "aws" {\n  region = "eu-west-1"\n}\n'
        ),
        "tests/test_app.py": "import pytest\n\n\n@pytest.fixture\ndef client():\n"
        "    from services.gateway.app import app\n    return app.test_client()\n",
    }
    for s in services:
        files |= {
            f"services/{s}/app.py": (
                "from flask import Flask, jsonify\n\napp = Flask(__name__)\n\n\n"
                f"@app.get(\"/healthz\")\ndef healthz():\n    return jsonify(service=\"{s}\")\n"
            ),
            f"services/{s}/config.yaml": (
                f"service: {s}\nreplicas: 3\ntimeout_s: 5\nretries: 2\nlog_level: info\n"
            ),
            f"services/{s}/requirements.txt": "flask==3.0.2\nrequests==2.31.0\n",
            f"services/{s}/tests/test_app.py": (
                f"from services.{s}.app import app\n\n\ndef test_healthz():\n"
                "    assert app.test_client().get(\"/healthz\").status_code == 200\n"
            ),
        }
    return files


def _k8s(service: str) -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {service}\nspec:\n"
        f"  replicas: 6\n  template:\n    spec:\n      containers:\n        - name: {service}\n"
        f"          image: registry.acme.io/{service}:latest\n          resources:\n"
        "            requests:\n              cpu: 500m\n              memory: 512Mi\n"
        "            limits:\n              memory: 1Gi\n"
    )
