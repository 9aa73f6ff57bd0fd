-- Service plans. Goals and tasks are the plan's content (JSON), changed
-- with the plan's version; plan_tasks indexes the tasks for due-date queries.
CREATE TABLE plans (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'active', 'completed', 'superseded')),
    effective_on DATE NOT NULL,
    review_due_on DATE NOT NULL,
    agreed_on DATE,
    agreement_method TEXT CHECK (agreement_method IN ('signed', 'verbal')),
    goals TEXT NOT NULL,
    -- The supervisor approval (JSON), when one was asked for.
    approval TEXT,
    supersedes_id TEXT REFERENCES plans (id),
    activated_at TIMESTAMP,
    closed_at TIMESTAMP,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL,
    CHECK (review_due_on >= effective_on)
);
CREATE INDEX plans_client ON plans (client_id, created_at, id);
-- One active plan per client: the database settles two activations racing.
CREATE UNIQUE INDEX plans_one_active ON plans (client_id) WHERE status = 'active';
CREATE INDEX plans_review ON plans (status, review_due_on);

CREATE TABLE plan_tasks (
    id TEXT PRIMARY KEY NOT NULL,
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES clients (id),
    goal_id TEXT NOT NULL,
    due_on DATE,
    status TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled'))
);
CREATE INDEX plan_tasks_plan ON plan_tasks (plan_id);
CREATE INDEX plan_tasks_due ON plan_tasks (status, due_on);

-- Progress notes on goals: append-only.
CREATE TABLE plan_notes (
    id TEXT PRIMARY KEY NOT NULL,
    plan_id TEXT NOT NULL REFERENCES plans (id),
    goal_id TEXT NOT NULL,
    author_id TEXT NOT NULL REFERENCES users (id),
    written_at TIMESTAMP NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX plan_notes_plan ON plan_notes (plan_id, written_at);
