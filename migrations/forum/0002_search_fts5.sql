-- Full-text search over posts with SQLite's FTS5, where the backend has it (Spin's own SQLite
-- does: rusqlite's bundled build enables it; so does libSQL). Applied where supported: on a
-- backend without the module this migration is recorded as skipped and search falls back to
-- matching words in forum_posts (search.rs).
--
-- An external-content index over forum_posts: the text is stored once, in the post. Only
-- visible posts are indexed; the triggers keep the index in step with every change of text or
-- state, removing exactly what was indexed.

CREATE VIRTUAL TABLE forum_fts USING fts5(
    title, body_text,
    content = 'forum_posts', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO forum_fts (rowid, title, body_text)
SELECT seq, title, body_text FROM forum_posts WHERE status = 'visible';

CREATE TRIGGER forum_fts_written AFTER INSERT ON forum_posts WHEN NEW.status = 'visible'
BEGIN
    INSERT INTO forum_fts (rowid, title, body_text) VALUES (NEW.seq, NEW.title, NEW.body_text);
END;

CREATE TRIGGER forum_fts_changed AFTER UPDATE OF status, title, body_text ON forum_posts
BEGIN
    INSERT INTO forum_fts (forum_fts, rowid, title, body_text)
    SELECT 'delete', OLD.seq, OLD.title, OLD.body_text WHERE OLD.status = 'visible';
    INSERT INTO forum_fts (rowid, title, body_text)
    SELECT NEW.seq, NEW.title, NEW.body_text WHERE NEW.status = 'visible';
END;
