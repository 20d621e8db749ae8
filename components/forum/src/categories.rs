//! Categories: staff make them, each saying who may post in it (anyone signed in, or
//! clinicians only) and whether it can be read without signing in.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use service_kit::db::{Db, Row};
use service_kit::text::TextRule;
use service_kit::{params, FieldError, Problem};

const NAME: TextRule = TextRule::line(2, 80);
const DESCRIPTION: TextRule = TextRule::paragraphs(0, 500);

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::AsRefStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum WhoPosts {
    SignedIn,
    Clinicians,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub name: Option<String>,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub who_posts: Option<WhoPosts>,
    pub public: Option<bool>,
    #[serde(default)]
    pub position: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Category {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub who_posts: WhoPosts,
    pub public: bool,
    pub position: i64,
    pub topics_count: i64,
}

/// A slug from a name: lower-case letters, digits and single hyphens.
fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(60).collect()
}

/// A category as it is stored: every field checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub name: String,
    pub slug: String,
    pub description: String,
    pub who_posts: WhoPosts,
    pub public: bool,
    pub position: i64,
}

/// A valid category, or every field that is wrong.
pub fn validate(input: Input) -> Result<Draft, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = match input.name.as_deref().map(|n| NAME.clean(n)) {
        Some(Ok(n)) => n,
        Some(Err(m)) => {
            errors.push(FieldError::new("name", m));
            String::new()
        }
        None => {
            errors.push(FieldError::new("name", "is required"));
            String::new()
        }
    };
    let slug = match input.slug.as_deref() {
        Some(s) => {
            let clean = slugify(s);
            if clean != s || clean.is_empty() {
                errors.push(FieldError::new(
                    "slug",
                    "must be lower-case letters, digits and single hyphens",
                ));
            }
            clean
        }
        None => slugify(&name),
    };
    if slug.is_empty() && !name.is_empty() {
        errors.push(FieldError::new("name", "must contain a letter or digit"));
    }
    let description = match DESCRIPTION.clean(input.description.as_deref().unwrap_or("")) {
        Ok(d) => d,
        Err(m) => {
            errors.push(FieldError::new("description", m));
            String::new()
        }
    };
    let Some(who) = input.who_posts else {
        errors.push(FieldError::new(
            "who_posts",
            "is required: signed_in or clinicians",
        ));
        return Err(errors);
    };
    let Some(public) = input.public else {
        errors.push(FieldError::new("public", "is required"));
        return Err(errors);
    };
    let position = input.position.unwrap_or(0);
    if !(0..=10_000).contains(&position) {
        errors.push(FieldError::new("position", "must be from 0 to 10000"));
    }
    if errors.is_empty() {
        Ok(Draft {
            name,
            slug,
            description,
            who_posts: who,
            public,
            position,
        })
    } else {
        Err(errors)
    }
}

pub const COLUMNS: &str = "id, slug, name, description, who_posts, public, position, topics_count";

pub fn from_row(r: &Row) -> Result<Category, Problem> {
    Ok(Category {
        id: r.get("id")?,
        slug: r.get("slug")?,
        name: r.get("name")?,
        description: r.get("description")?,
        who_posts: r
            .get::<String>("who_posts")?
            .parse()
            .map_err(Problem::internal)?,
        public: r.get("public")?,
        position: r.get("position")?,
        topics_count: r.get("topics_count")?,
    })
}

pub fn create(db: &dyn Db, input: Input, by: &str, now: Timestamp) -> Result<Category, Problem> {
    let d = validate(input).map_err(Problem::validation)?;
    let id = service_kit::new_id(now);
    let rows = db
        .execute(
            &format!(
                "INSERT INTO forum_categories (id, slug, name, description, who_posts, public, \
                 position, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                 RETURNING {COLUMNS}"
            ),
            params![
                id,
                d.slug,
                d.name,
                d.description,
                d.who_posts.as_ref(),
                d.public,
                d.position,
                by,
                crate::stamp(now)
            ],
        )
        .map_err(|e| {
            if e.unique_violation() == Some("forum_categories.slug") {
                Problem::conflict("slug-taken", "another category has this slug")
                    .with_field("slug", "is taken")
            } else {
                e.into()
            }
        })?;
    rows.first()
        .map(|r| from_row(&r))
        .transpose()?
        .ok_or_else(|| Problem::internal("the category was not stored"))
}

/// Every category the caller may read, in the clinic's order.
pub fn list(db: &dyn Db, signed_in: bool) -> Result<Vec<Category>, Problem> {
    let rows = db.execute(
        &format!(
            "SELECT {COLUMNS} FROM forum_categories WHERE ?1 OR public = 1 \
             ORDER BY position, name LIMIT 200"
        ),
        params![signed_in],
    )?;
    rows.iter().map(|r| from_row(&r)).collect()
}

/// A category by id or slug.
pub fn find(db: &dyn Db, key: &str) -> Result<Option<Category>, Problem> {
    let rows = db.execute(
        &format!("SELECT {COLUMNS} FROM forum_categories WHERE id = ?1 OR slug = ?1"),
        params![key],
    )?;
    rows.first().map(|r| from_row(&r)).transpose()
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_are_made_from_names() {
        assert_eq!(super::slugify("Heart & Circulation"), "heart-circulation");
        assert_eq!(super::slugify("  Ärzte fragen!  "), "ärzte-fragen");
    }
}
