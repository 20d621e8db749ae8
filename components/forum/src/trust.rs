//! Who may do how much: Discourse's trust levels, simplified to two. A **new** member is
//! limited (posts a day, links a post, no images) until they have taken part for a while
//! (enough posts, and days since their first) or a moderator lifts the limit. Clinicians and
//! staff are trusted from the start: their accounts were made by the clinic. Everyone is
//! rate-limited, and a silenced member may read but not write.

use jiff::{SignedDuration, Timestamp};
use service_kit::token::Role;
use service_kit::vars::Vars;

/// The clinic's limits (Spin variables `forum_*`; the defaults suit a small clinic).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Distinct members whose flags hide a post until a moderator reviews it.
    pub flag_threshold: i64,
    pub new_posts_per_day: i64,
    pub new_links_per_post: i64,
    /// A new member becomes a member after this many posts …
    pub trust_posts: i64,
    /// … and this many days since their first.
    pub trust_days: i64,
    /// Everyone's posting rate (staff excepted).
    pub posts_per_minute: i64,
    pub flags_per_hour: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            flag_threshold: 3,
            new_posts_per_day: 10,
            new_links_per_post: 2,
            trust_posts: 5,
            trust_days: 3,
            posts_per_minute: 3,
            flags_per_hour: 20,
        }
    }
}

impl Policy {
    pub fn from_vars(vars: &dyn Vars) -> Policy {
        let d = Policy::default();
        let n = |name: &str, default: i64, max: i64| {
            vars.get(name)
                .and_then(|v| v.trim().parse::<i64>().ok())
                .filter(|v| (1..=max).contains(v))
                .unwrap_or(default)
        };
        Policy {
            flag_threshold: n("forum_flag_threshold", d.flag_threshold, 100),
            new_posts_per_day: n("forum_new_posts_per_day", d.new_posts_per_day, 10_000),
            new_links_per_post: n("forum_new_links_per_post", d.new_links_per_post, 100),
            trust_posts: n("forum_trust_posts", d.trust_posts, 10_000),
            trust_days: n("forum_trust_days", d.trust_days, 365),
            posts_per_minute: n("forum_posts_per_minute", d.posts_per_minute, 1_000),
            flags_per_hour: n("forum_flags_per_hour", d.flags_per_hour, 1_000),
        }
    }

    /// The instant a first post must be older than for its author to have taken part long
    /// enough.
    pub fn trusted_since(&self, now: Timestamp) -> Timestamp {
        now - SignedDuration::from_hours(24 * self.trust_days)
    }
}

/// A role whose accounts the clinic made, and so are trusted from their first post.
pub fn trusted_role(role: Role) -> bool {
    !matches!(role, Role::Patient)
}

/// A clinician answer's author: a doctor or a pharmacist.
pub fn clinician(role: Role) -> bool {
    matches!(role, Role::Doctor | Role::Pharmacist)
}

/// A moderator: staff (and admins).
pub fn moderator(role: Role) -> bool {
    matches!(role, Role::Staff | Role::Admin)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::AsRefStr)]
#[strum(serialize_all = "snake_case")]
pub enum Level {
    New,
    Member,
    /// A clinician's or staff account.
    Trusted,
}

/// What a member's record says about them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Standing {
    pub posts: i64,
    pub first_posted_at: Option<Timestamp>,
    pub trusted_by: Option<String>,
    pub silenced_until: Option<Timestamp>,
    pub silence_reason: Option<String>,
}

impl Standing {
    pub fn level(&self, role: Role, policy: &Policy, now: Timestamp) -> Level {
        if trusted_role(role) {
            Level::Trusted
        } else if self.trusted_by.is_some()
            || (self.posts >= policy.trust_posts
                && self
                    .first_posted_at
                    .is_some_and(|t| t <= policy.trusted_since(now)))
        {
            Level::Member
        } else {
            Level::New
        }
    }

    pub fn silenced(&self, now: Timestamp) -> bool {
        self.silenced_until.is_some_and(|t| t > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patient_graduates_after_posts_and_days_or_a_moderators_word() {
        let p = Policy::default();
        let now: Timestamp = "2026-12-10T00:00:00Z".parse().unwrap();
        let mut s = Standing {
            posts: 4,
            first_posted_at: Some("2026-12-01T00:00:00Z".parse().unwrap()),
            ..Standing::default()
        };
        assert_eq!(s.level(Role::Patient, &p, now), Level::New);
        s.posts = 5;
        assert_eq!(s.level(Role::Patient, &p, now), Level::Member);
        s.first_posted_at = Some("2026-12-08T00:00:00Z".parse().unwrap());
        assert_eq!(s.level(Role::Patient, &p, now), Level::New, "too recent");
        s.trusted_by = Some("staff".into());
        assert_eq!(s.level(Role::Patient, &p, now), Level::Member);
        assert_eq!(
            Standing::default().level(Role::Doctor, &p, now),
            Level::Trusted
        );
    }
}
