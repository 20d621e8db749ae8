-- forum: categories, topics, posts (with their edit history), likes, watches, flags, the
-- moderation log, members (trust and silence) and the news relayed to mail.
--
-- Every change that must be whole is one statement: the triggers below carry its consequences
-- (a topic's opening post, counters, the auto-hide at the flag threshold, a moderator's
-- decision applied to flags, post and author, the notifications queued), so a remote backend
-- (libSQL) that keeps no transaction across calls sees nothing half-written.

CREATE TABLE forum_categories (
    id           TEXT PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    -- Who may start topics and reply: anyone signed in, or clinicians (doctors, pharmacists)
    -- only. Staff moderate everywhere.
    who_posts    TEXT NOT NULL CHECK (who_posts IN ('signed_in', 'clinicians')),
    -- Readable without signing in.
    public       INTEGER NOT NULL CHECK (public IN (0, 1)),
    position     INTEGER NOT NULL DEFAULT 0,
    topics_count INTEGER NOT NULL DEFAULT 0,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX forum_categories_order ON forum_categories (position, name);

-- A member exists once they posted or a moderator acted on them.
CREATE TABLE forum_members (
    user_id         TEXT PRIMARY KEY,
    display_name    TEXT,
    posts_count     INTEGER NOT NULL DEFAULT 0,
    first_posted_at TEXT,
    -- A moderator lifted the new-member limits (who, when).
    trusted_by      TEXT,
    trusted_at      TEXT,
    silenced_until  TEXT,
    silence_reason  TEXT
) WITHOUT ROWID;

CREATE TABLE forum_topics (
    id             TEXT PRIMARY KEY,
    category_id    TEXT NOT NULL REFERENCES forum_categories (id),
    author_id      TEXT NOT NULL,
    title          TEXT NOT NULL,
    -- Follows the opening post: a hidden or deleted opening post takes its topic out of lists.
    status         TEXT NOT NULL DEFAULT 'visible' CHECK (status IN ('visible', 'hidden', 'deleted')),
    created_at     TEXT NOT NULL,
    last_posted_at TEXT NOT NULL,
    replies_count  INTEGER NOT NULL DEFAULT 0,
    likes_count    INTEGER NOT NULL DEFAULT 0,
    accepted_post_id TEXT,
    accepted_by    TEXT,
    accepted_at    TEXT,
    -- The opening post on its way in (a new topic, or an edit of its first post), moved into
    -- forum_posts by the triggers below and cleared: a topic and its first post change in one
    -- statement.
    opening_md     TEXT,
    opening_html   TEXT,
    opening_text   TEXT,
    opening_role   TEXT,
    opening_by     TEXT,
    opening_at     TEXT
);
-- Latest, overall and by category; unanswered; top in a period (by creation).
CREATE INDEX forum_topics_latest ON forum_topics (status, last_posted_at DESC, id DESC);
CREATE INDEX forum_topics_category ON forum_topics (category_id, status, last_posted_at DESC, id DESC);
CREATE INDEX forum_topics_unanswered ON forum_topics (last_posted_at DESC, id DESC)
    WHERE replies_count = 0 AND status = 'visible';
CREATE INDEX forum_topics_created ON forum_topics (status, created_at);
CREATE INDEX forum_topics_top ON forum_topics (status, likes_count DESC, id DESC);

CREATE TABLE forum_posts (
    -- The row id: the full-text index's key.
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    topic_id     TEXT NOT NULL REFERENCES forum_topics (id),
    -- 1 is the opening post.
    number       INTEGER NOT NULL,
    author_id    TEXT NOT NULL,
    -- The author's role when they wrote it: a doctor's or pharmacist's reply is a clinician answer.
    author_role  TEXT NOT NULL,
    -- The opening post carries its topic's title (what the full-text index weighs most).
    title        TEXT,
    body_md      TEXT NOT NULL,
    body_html    TEXT NOT NULL,
    body_text    TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'visible' CHECK (status IN ('visible', 'hidden', 'deleted')),
    -- Why it is hidden: 'flagged' (the community's threshold) or 'moderator'.
    hidden_reason TEXT,
    version      INTEGER NOT NULL DEFAULT 1,
    likes_count  INTEGER NOT NULL DEFAULT 0 CHECK (likes_count >= 0),
    open_flags   INTEGER NOT NULL DEFAULT 0 CHECK (open_flags >= 0),
    created_at   TEXT NOT NULL,
    edited_at    TEXT,
    edited_by    TEXT,
    UNIQUE (topic_id, number)
);
-- Rate limits and the new-member day count walk one author's recent posts.
CREATE INDEX forum_posts_author ON forum_posts (author_id, created_at);
-- The review queue: only posts with open flags.
CREATE INDEX forum_posts_flagged ON forum_posts (seq) WHERE open_flags > 0;

-- Each earlier version of a post, kept when it is edited.
CREATE TABLE forum_post_versions (
    post_id   TEXT NOT NULL,
    version   INTEGER NOT NULL,
    title     TEXT,
    body_md   TEXT NOT NULL,
    written_at TEXT NOT NULL,
    written_by TEXT NOT NULL,
    PRIMARY KEY (post_id, version)
) WITHOUT ROWID;

CREATE TABLE forum_likes (
    post_id    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (post_id, user_id)
) WITHOUT ROWID;

CREATE TABLE forum_watch (
    topic_id TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    level    TEXT NOT NULL CHECK (level IN ('watching', 'muted')),
    PRIMARY KEY (topic_id, user_id)
) WITHOUT ROWID;

-- One flag per user per post. `threshold` is the number of distinct flaggers that hides a post,
-- as configured when the flag was raised (the trigger cannot read a variable).
CREATE TABLE forum_flags (
    id          TEXT PRIMARY KEY,
    post_id     TEXT NOT NULL,
    flagger_id  TEXT NOT NULL,
    reason      TEXT NOT NULL CHECK (reason IN ('off_topic', 'inappropriate', 'spam',
                    'misinformation', 'personal_information', 'other')),
    note        TEXT,
    threshold   INTEGER NOT NULL CHECK (threshold >= 1),
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'agreed', 'disagreed', 'ignored')),
    created_at  TEXT NOT NULL,
    decided_at  TEXT,
    decided_by  TEXT,
    UNIQUE (post_id, flagger_id)
);
CREATE INDEX forum_flags_post ON forum_flags (post_id, status);
CREATE INDEX forum_flags_flagger ON forum_flags (flagger_id, created_at);

-- The moderation log: every moderator's action, with its reason, shown to the member it
-- concerns. Inserting a row *is* the action: its triggers apply it.
CREATE TABLE forum_actions (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('agree_hide', 'agree_delete', 'disagree', 'ignore',
                     'hide', 'restore', 'delete', 'silence', 'unsilence', 'trust', 'untrust')),
    post_id      TEXT,
    target_user  TEXT NOT NULL,
    moderator_id TEXT NOT NULL,
    reason       TEXT NOT NULL,
    until        TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX forum_actions_target ON forum_actions (target_user, seq DESC);

-- News for mail: a reply to a topic its author (or a watcher) follows, an accepted answer.
CREATE TABLE forum_outbox (
    key           TEXT PRIMARY KEY,
    template      TEXT NOT NULL,
    to_user       TEXT NOT NULL,
    topic_id      TEXT NOT NULL,
    actor_id      TEXT NOT NULL,
    queued_at     TEXT NOT NULL,
    claimed_until TEXT
) WITHOUT ROWID;

-- A new topic: its opening post, the category's count.
CREATE TRIGGER forum_topic_opened AFTER INSERT ON forum_topics
BEGIN
    INSERT INTO forum_posts (id, topic_id, number, author_id, author_role, title, body_md,
                             body_html, body_text, created_at)
    VALUES (NEW.id, NEW.id, 1, NEW.author_id, NEW.opening_role, NEW.title, NEW.opening_md,
            NEW.opening_html, NEW.opening_text, NEW.created_at);
    UPDATE forum_topics SET opening_md = NULL, opening_html = NULL, opening_text = NULL,
        opening_role = NULL, opening_by = NULL, opening_at = NULL
    WHERE id = NEW.id;
    UPDATE forum_categories SET topics_count = topics_count + 1 WHERE id = NEW.category_id;
END;

-- An edit of the opening post through its topic (title and body at once).
CREATE TRIGGER forum_topic_edited AFTER UPDATE OF opening_md ON forum_topics
    WHEN NEW.opening_md IS NOT NULL
BEGIN
    UPDATE forum_posts SET title = NEW.title, body_md = NEW.opening_md,
        body_html = NEW.opening_html, body_text = NEW.opening_text, version = version + 1,
        edited_at = NEW.opening_at, edited_by = NEW.opening_by
    WHERE topic_id = NEW.id AND number = 1;
    UPDATE forum_topics SET opening_md = NULL, opening_html = NULL, opening_text = NULL,
        opening_role = NULL, opening_by = NULL, opening_at = NULL
    WHERE id = NEW.id;
END;

-- A post written: its author's count (the trust level's) and, for a reply, the topic's.
CREATE TRIGGER forum_post_written AFTER INSERT ON forum_posts
BEGIN
    INSERT INTO forum_members (user_id, posts_count, first_posted_at)
    VALUES (NEW.author_id, 1, NEW.created_at)
    ON CONFLICT (user_id) DO UPDATE SET posts_count = posts_count + 1,
        first_posted_at = COALESCE(first_posted_at, excluded.first_posted_at);
    UPDATE forum_topics SET replies_count = replies_count + 1, last_posted_at = NEW.created_at
    WHERE id = NEW.topic_id AND NEW.number > 1;
END;

-- A reply: news for the topic's author and its watchers, but not the muted or the replier.
CREATE TRIGGER forum_reply_news AFTER INSERT ON forum_posts WHEN NEW.number > 1
BEGIN
    INSERT OR IGNORE INTO forum_outbox (key, template, to_user, topic_id, actor_id, queued_at)
    SELECT 'forum-reply-' || NEW.id || '-' || u.user_id, 'forum_reply', u.user_id, NEW.topic_id,
           NEW.author_id, NEW.created_at
    FROM (SELECT author_id AS user_id FROM forum_topics WHERE id = NEW.topic_id
          UNION
          SELECT user_id FROM forum_watch WHERE topic_id = NEW.topic_id AND level = 'watching') AS u
    WHERE u.user_id <> NEW.author_id
      AND NOT EXISTS (SELECT 1 FROM forum_watch AS w
                      WHERE w.topic_id = NEW.topic_id AND w.user_id = u.user_id AND w.level = 'muted');
END;

-- The earlier version of an edited post.
CREATE TRIGGER forum_post_versioned AFTER UPDATE OF body_md ON forum_posts
    WHEN OLD.body_md IS NOT NEW.body_md OR OLD.title IS NOT NEW.title
BEGIN
    INSERT OR IGNORE INTO forum_post_versions (post_id, version, title, body_md, written_at, written_by)
    VALUES (OLD.id, OLD.version, OLD.title, OLD.body_md, COALESCE(OLD.edited_at, OLD.created_at),
            COALESCE(OLD.edited_by, OLD.author_id));
END;

-- The opening post's state is its topic's.
CREATE TRIGGER forum_opening_status AFTER UPDATE OF status ON forum_posts
    WHEN NEW.number = 1 AND OLD.status IS NOT NEW.status
BEGIN
    UPDATE forum_topics SET status = NEW.status WHERE id = NEW.topic_id;
END;

-- A reply deleted no longer counts (and an accepted answer deleted is no longer accepted).
CREATE TRIGGER forum_reply_deleted AFTER UPDATE OF status ON forum_posts
    WHEN NEW.number > 1 AND NEW.status = 'deleted' AND OLD.status <> 'deleted'
BEGIN
    UPDATE forum_topics SET replies_count = replies_count - 1,
        accepted_post_id = CASE WHEN accepted_post_id = NEW.id THEN NULL ELSE accepted_post_id END
    WHERE id = NEW.topic_id;
END;

CREATE TRIGGER forum_liked AFTER INSERT ON forum_likes
BEGIN
    UPDATE forum_posts SET likes_count = likes_count + 1 WHERE id = NEW.post_id;
    UPDATE forum_topics SET likes_count = likes_count + 1
    WHERE id = (SELECT topic_id FROM forum_posts WHERE id = NEW.post_id);
END;

CREATE TRIGGER forum_unliked AFTER DELETE ON forum_likes
BEGIN
    UPDATE forum_posts SET likes_count = likes_count - 1 WHERE id = OLD.post_id;
    UPDATE forum_topics SET likes_count = likes_count - 1
    WHERE id = (SELECT topic_id FROM forum_posts WHERE id = OLD.post_id);
END;

-- An accepted answer: news for its author (unless they accepted it, or muted the topic).
CREATE TRIGGER forum_accepted_news AFTER UPDATE OF accepted_post_id ON forum_topics
    WHEN NEW.accepted_post_id IS NOT NULL AND NEW.accepted_post_id IS NOT OLD.accepted_post_id
BEGIN
    INSERT OR IGNORE INTO forum_outbox (key, template, to_user, topic_id, actor_id, queued_at)
    SELECT 'forum-accepted-' || p.id, 'forum_answer_accepted', p.author_id, NEW.id,
           NEW.accepted_by, NEW.accepted_at
    FROM forum_posts AS p
    WHERE p.id = NEW.accepted_post_id AND p.author_id <> NEW.accepted_by
      AND NOT EXISTS (SELECT 1 FROM forum_watch AS w
                      WHERE w.topic_id = NEW.id AND w.user_id = p.author_id AND w.level = 'muted');
END;

-- A flag: counted on its post, which hides itself once distinct flaggers reach the threshold
-- (until a moderator decides).
CREATE TRIGGER forum_flagged AFTER INSERT ON forum_flags
BEGIN
    UPDATE forum_posts SET open_flags = open_flags + 1,
        hidden_reason = CASE WHEN status = 'visible' AND open_flags + 1 >= NEW.threshold
                             THEN 'flagged' ELSE hidden_reason END,
        status = CASE WHEN status = 'visible' AND open_flags + 1 >= NEW.threshold
                      THEN 'hidden' ELSE status END
    WHERE id = NEW.post_id;
END;

CREATE TRIGGER forum_flag_decided AFTER UPDATE OF status ON forum_flags
    WHEN OLD.status = 'open' AND NEW.status <> 'open'
BEGIN
    UPDATE forum_posts SET open_flags = open_flags - 1 WHERE id = NEW.post_id;
END;

-- A moderator's decision on a flagged post: every open flag closed, the post hidden, deleted
-- or (disagreeing) shown again if the flags had hidden it, and the author silenced when asked.
CREATE TRIGGER forum_action_review AFTER INSERT ON forum_actions
    WHEN NEW.kind IN ('agree_hide', 'agree_delete', 'disagree', 'ignore')
BEGIN
    UPDATE forum_flags SET status = CASE NEW.kind WHEN 'disagree' THEN 'disagreed'
                                                  WHEN 'ignore' THEN 'ignored'
                                                  ELSE 'agreed' END,
        decided_at = NEW.created_at, decided_by = NEW.moderator_id
    WHERE post_id = NEW.post_id AND status = 'open';
    UPDATE forum_posts SET
        status = CASE NEW.kind WHEN 'agree_hide' THEN 'hidden'
                               WHEN 'agree_delete' THEN 'deleted'
                               WHEN 'disagree' THEN CASE WHEN status = 'hidden' AND hidden_reason = 'flagged'
                                                         THEN 'visible' ELSE status END
                               ELSE status END,
        hidden_reason = CASE NEW.kind WHEN 'agree_hide' THEN 'moderator'
                                      WHEN 'disagree' THEN CASE WHEN hidden_reason = 'flagged'
                                                                THEN NULL ELSE hidden_reason END
                                      ELSE hidden_reason END
    WHERE id = NEW.post_id;
    INSERT INTO forum_members (user_id, silenced_until, silence_reason)
    SELECT NEW.target_user, NEW.until, NEW.reason WHERE NEW.until IS NOT NULL
    ON CONFLICT (user_id) DO UPDATE SET silenced_until = excluded.silenced_until,
        silence_reason = excluded.silence_reason;
END;

-- A moderator acting on a post without flags.
CREATE TRIGGER forum_action_post AFTER INSERT ON forum_actions
    WHEN NEW.kind IN ('hide', 'restore', 'delete')
BEGIN
    UPDATE forum_posts SET
        status = CASE NEW.kind WHEN 'hide' THEN 'hidden' WHEN 'delete' THEN 'deleted' ELSE 'visible' END,
        hidden_reason = CASE NEW.kind WHEN 'hide' THEN 'moderator' ELSE NULL END
    WHERE id = NEW.post_id;
END;

-- A moderator acting on a member.
CREATE TRIGGER forum_action_member AFTER INSERT ON forum_actions
    WHEN NEW.kind IN ('silence', 'unsilence', 'trust', 'untrust')
BEGIN
    INSERT INTO forum_members (user_id) VALUES (NEW.target_user) ON CONFLICT (user_id) DO NOTHING;
    UPDATE forum_members SET
        silenced_until = CASE NEW.kind WHEN 'silence' THEN NEW.until
                                       WHEN 'unsilence' THEN NULL ELSE silenced_until END,
        silence_reason = CASE NEW.kind WHEN 'silence' THEN NEW.reason
                                       WHEN 'unsilence' THEN NULL ELSE silence_reason END,
        trusted_by = CASE NEW.kind WHEN 'trust' THEN NEW.moderator_id
                                   WHEN 'untrust' THEN NULL ELSE trusted_by END,
        trusted_at = CASE NEW.kind WHEN 'trust' THEN NEW.created_at
                                   WHEN 'untrust' THEN NULL ELSE trusted_at END
    WHERE user_id = NEW.target_user;
END;
