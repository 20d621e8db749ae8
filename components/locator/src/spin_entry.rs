//! locator on Spin: who is calling (nobody need be, to find a pharmacy) and whether another
//! component of the app is.

use crate::{Ctx, Locator, Map, IMPORTS, IMPORT_BODY_LIMIT};
use service_kit::http::Request;
use service_kit::spin::Kit;
use service_kit::Problem;

impl service_kit::spin::SpinService for Locator {
    fn body_limit(path: &str) -> usize {
        if path == IMPORTS {
            IMPORT_BODY_LIMIT
        } else {
            Self::BODY_LIMIT
        }
    }

    async fn context<'a>(
        req: &Request,
        route: &'static str,
        kit: &'a Kit,
    ) -> Result<Ctx<'a>, Problem> {
        let principal = kit.caller(req, crate::public(req.method(), route)).await?;
        Ok(Ctx {
            db: kit.db()?,
            principal,
            now: kit.now,
            internal: service_kit::internal::is_internal(req, kit.vars()),
            map: if route == "/api/locator/map" {
                use service_kit::vars::Vars;
                Map {
                    tile_url: kit.vars().get("map_tile_url"),
                    attribution: kit.vars().get("map_attribution"),
                }
            } else {
                Map::default()
            },
        })
    }
}
