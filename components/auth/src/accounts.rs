//! Accounts: creation (self sign-up and by an admin), lookup, listing, admin changes, and the
//! first admin from configuration.

use crate::api::{NewUser, User, UserUpdate};
use crate::refusal::Refusal;
use crate::Ctx;
use service_kit::db::{DbError, Row, Value};
use service_kit::page::{Page, PageRequest};
use service_kit::revocation::{Revocations, RevokedAccount};
use service_kit::token::{self, Role};
use service_kit::{new_id, params, Problem};

const USER_COLUMNS: &str = "id, email, display_name, role, disabled, created_at, \
    email_verified_at IS NOT NULL AS email_verified";

fn user_from_row(row: Row<'_>) -> Result<User, Problem> {
    let role: String = row.get("role")?;
    Ok(User {
        id: row.get("id")?,
        email: row.get("email")?,
        display_name: row.get("display_name")?,
        role: Role::parse(&role).ok_or_else(|| Problem::internal(format!("stored role {role}")))?,
        disabled: row.get("disabled")?,
        created_at: row.get("created_at")?,
        email_verified: row.get("email_verified")?,
    })
}

/// Creates an account an admin made (its address counts as verified: the clinic vouches for
/// it). A taken email is a 409 naming `email`: the admin may know which addresses exist.
pub fn create(ctx: &Ctx, new: &NewUser) -> Result<User, Problem> {
    match insert(ctx, new, true)? {
        Created::New(user) => Ok(user),
        Created::Taken { .. } => Err(Refusal::EmailTaken.into()),
    }
}

/// What an insert did.
pub enum Created {
    New(User),
    /// The address belongs to this account already.
    Taken {
        owner: String,
    },
}

/// Inserts an account, verified or not; a taken address is an outcome, not an error, so a
/// sign-up can answer it like any other.
pub fn insert(ctx: &Ctx, new: &NewUser, verified: bool) -> Result<Created, Problem> {
    let id = new_id(ctx.now);
    let now = ctx.now.to_string();
    let hash = new.password.hash();
    let result = ctx.db.execute(
        &format!(
            "INSERT INTO auth_users (id, email, display_name, role, password_hash, disabled, created_at, updated_at, email_verified_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?6, CASE WHEN ?7 THEN ?6 END) RETURNING {USER_COLUMNS}"
        ),
        params![id, new.email.as_str(), new.display_name.as_str(), new.role.as_str(), hash, now.as_str(), verified],
    );
    match result {
        Ok(rows) => Ok(Created::New(user_from_row(
            rows.first()
                .ok_or_else(|| Problem::internal("insert returned nothing"))?,
        )?)),
        Err(e) if e.unique_violation() == Some("auth_users.email") => {
            let rows = ctx.db.execute(
                "SELECT id FROM auth_users WHERE email = ?",
                params![new.email.as_str()],
            )?;
            let owner = rows
                .first()
                .ok_or_else(|| Problem::internal("a taken address with no account"))?
                .get("id")?;
            Ok(Created::Taken { owner })
        }
        Err(e) => Err(e.into()),
    }
}

/// Sets a new password (a spent reset link), and voids every token issued before: whoever
/// held the old password is signed out. Reading the mail proved the address too.
pub fn set_password(ctx: &Ctx, id: &str, hash: &str) -> Result<(), Problem> {
    ctx.db.execute(
        "UPDATE auth_users SET password_hash = ?1, updated_at = ?2, tokens_not_before = ?3,
           email_verified_at = COALESCE(email_verified_at, ?2)
         WHERE id = ?4",
        params![hash, ctx.now.to_string(), ctx.now.as_millisecond(), id],
    )?;
    Ok(())
}

pub fn get(ctx: &Ctx, id: &str) -> Result<Option<User>, Problem> {
    let rows = ctx.db.execute(
        &format!("SELECT {USER_COLUMNS} FROM auth_users WHERE id = ?"),
        params![id],
    )?;
    rows.first().map(user_from_row).transpose()
}

/// The account and its password hash, for sign-in.
pub fn find_credentials(ctx: &Ctx, email: &str) -> Result<Option<(User, String)>, Problem> {
    let rows = ctx.db.execute(
        &format!("SELECT {USER_COLUMNS}, password_hash FROM auth_users WHERE email = ?"),
        params![email.trim().to_lowercase()],
    )?;
    match rows.first() {
        None => Ok(None),
        Some(row) => Ok(Some((user_from_row(row)?, row.get("password_hash")?))),
    }
}

/// The two shapes of [`list`] (?1 after this id, ?2 how many, ?3 the role): each one walk of
/// one index from the cursor — `(role, id)` or the key. One statement with
/// `?3 IS NULL OR role = ?3` would walk every account.
pub const LIST_BY_ROLE: &str =
    "FROM auth_users INDEXED BY auth_users_by_role WHERE role = ?3 AND id > ?1 ORDER BY id LIMIT ?2";
pub const LIST_ALL: &str = "FROM auth_users WHERE id > ?1 ORDER BY id LIMIT ?2";

/// Accounts in creation order, optionally of one role.
pub fn list(ctx: &Ctx, role: Option<Role>, page: &PageRequest) -> Result<Page<User>, Problem> {
    let after = Value::from(page.after.clone().unwrap_or_default());
    let limit = Value::Integer(page.fetch_limit());
    let rows = match role {
        Some(role) => ctx.db.execute(
            &format!("SELECT {USER_COLUMNS} {LIST_BY_ROLE}"),
            &[after, limit, Value::from(role.as_str())],
        )?,
        None => ctx.db.execute(
            &format!("SELECT {USER_COLUMNS} {LIST_ALL}"),
            &[after, limit],
        )?,
    };
    let users = rows
        .iter()
        .map(user_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_fetched(users, page, |u| u.id.clone()))
}

/// An admin's change to an account. An admin cannot disable or demote themselves, so a clinic
/// always keeps at least the admin who is acting.
pub fn update(ctx: &Ctx, actor: &str, id: &str, change: &UserUpdate) -> Result<User, Problem> {
    if actor == id
        && (change.disabled == Some(true) || change.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(Refusal::SelfLockout.into());
    }
    // A change of role or status voids the account's tokens already issued, in the same
    // statement (the SET expressions see the row as it was).
    let rows = ctx.db.execute(
        &format!(
            "UPDATE auth_users SET
               disabled = COALESCE(?1, disabled),
               role = COALESCE(?2, role),
               display_name = COALESCE(?3, display_name),
               updated_at = ?4,
               tokens_not_before = CASE
                 WHEN COALESCE(?1, disabled) != disabled OR COALESCE(?2, role) != role THEN ?6
                 ELSE tokens_not_before END
             WHERE id = ?5 RETURNING {USER_COLUMNS}"
        ),
        &[
            Value::from(change.disabled),
            Value::from(change.role.map(Role::as_str)),
            Value::from(change.display_name.as_ref().map(|n| n.as_str())),
            Value::from(ctx.now.to_string()),
            Value::from(id),
            Value::Integer(ctx.now.as_millisecond()),
        ],
    )?;
    let user = rows
        .first()
        .map(user_from_row)
        .transpose()?
        .ok_or(Refusal::NoSuchUser)?;
    if user.disabled || change.role.is_some() {
        // Sign the user out everywhere: a disabled account must not refresh, and a changed role
        // should reach new tokens at once.
        crate::sessions::revoke_all(
            ctx,
            &user.id,
            if user.disabled {
                "disabled"
            } else {
                "role-changed"
            },
        )?;
    }
    Ok(user)
}

/// Creates the first admin from the `admin_email` / `admin_password` variables if no admin
/// exists. Cheap when there is one (one indexed read); never replaces an existing admin.
pub fn bootstrap_admin(ctx: &Ctx) -> Result<(), Problem> {
    let (Some(email), Some(password)) = (&ctx.settings.admin_email, &ctx.settings.admin_password)
    else {
        return Ok(());
    };
    let exists = ctx.db.execute(
        "SELECT 1 AS x FROM auth_users WHERE role = 'admin' LIMIT 1",
        params![],
    )?;
    if !exists.is_empty() {
        return Ok(());
    }
    let new = match NewUser::parse(email, "Administrator", password, Role::Admin) {
        Ok(n) => n,
        Err(p) => {
            eprintln!("auth: not creating the first admin from admin_email/admin_password: {p}");
            return Ok(());
        }
    };
    let now = ctx.now.to_string();
    // Inserted only while no admin exists, decided in the statement itself.
    let result = ctx.db.execute(
        "INSERT INTO auth_users (id, email, display_name, role, password_hash, disabled, created_at, updated_at)
         SELECT ?, ?, ?, 'admin', ?, 0, ?, ?
         WHERE NOT EXISTS (SELECT 1 FROM auth_users WHERE role = 'admin')",
        params![new_id(ctx.now), new.email.as_str(), new.display_name.as_str(), new.password.hash(), now.as_str(), now.as_str()],
    );
    match result {
        Ok(_) => Ok(()),
        Err(DbError::Constraint(m)) => {
            eprintln!("auth: admin_email belongs to an existing non-admin account; not creating the first admin ({m})");
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Accounts whose tokens must stop working before they expire: every disabled account, and
/// every account changed within a token's lifetime (older changes have outlived their tokens).
pub fn revocations(ctx: &Ctx) -> Result<Revocations, Problem> {
    let horizon = ctx.now.as_millisecond()
        - (crate::sessions::ACCESS_TTL_SECS + token::CLOCK_SKEW_SECS) * 1000;
    let rows = ctx.db.execute(
        "SELECT id, tokens_not_before, disabled FROM auth_users WHERE disabled = 1
         UNION
         SELECT id, tokens_not_before, disabled FROM auth_users WHERE tokens_not_before > ?",
        params![horizon],
    )?;
    let accounts = rows
        .iter()
        .map(|r| {
            Ok(RevokedAccount {
                id: r.get("id")?,
                not_before_ms: r.get("tokens_not_before")?,
                disabled: r.get("disabled")?,
            })
        })
        .collect::<Result<_, Problem>>()?;
    Ok(Revocations { accounts })
}

/// 401 if the account behind a token auth itself is checking is disabled or changed since.
pub fn check_current(ctx: &Ctx, claims: &token::Claims) -> Result<(), Problem> {
    let rows = ctx.db.execute(
        "SELECT tokens_not_before, disabled FROM auth_users WHERE id = ?",
        params![claims.sub.as_str()],
    )?;
    let row = rows
        .first()
        .ok_or_else(|| Problem::unauthorized("this account no longer exists"))?;
    Revocations {
        accounts: vec![RevokedAccount {
            id: claims.sub.clone(),
            not_before_ms: row.get("tokens_not_before")?,
            disabled: row.get("disabled")?,
        }],
    }
    .check(claims)
}

/// Whether any admin exists (reported by the health route so a fresh install says what to do).
pub fn admin_exists(ctx: &Ctx) -> Result<bool, Problem> {
    Ok(!ctx
        .db
        .execute(
            "SELECT 1 AS x FROM auth_users WHERE role = 'admin' LIMIT 1",
            params![],
        )?
        .is_empty())
}
