//! Access control: the append-only audit trail, token revocation, login throttling,
//! integration API keys and leads shared with partner stores.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const APPEND_ONLY_SQLITE: &[&str] = &[
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
];

const APPEND_ONLY_POSTGRES: &[&str] = &[
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("audit_log")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(integer_null("staff_id"))
                    .col(string_len_null("username", 64))
                    .col(string_len_null("role", 24))
                    .col(integer_null("store_id"))
                    .col(string_len("action", 48))
                    .col(string_len("record_kind", 32))
                    .col(text("record_ids"))
                    .col(json("fields"))
                    .col(string_null("purpose"))
                    .col(string_len_null("request_id", 64))
                    .col(string_len_null("client_addr", 64))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_audit_log_at", vec!["at"]),
            ("ix_audit_log_staff_id_at", vec!["staff_id", "at"]),
            ("ix_audit_log_record_kind_at", vec!["record_kind", "at"]),
        ] {
            let mut ix = Index::create();
            ix.name(name).table("audit_log");
            for c in cols {
                ix.col(c);
            }
            manager.create_index(ix).await?;
        }
        let db = manager.get_connection();
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => APPEND_ONLY_POSTGRES,
            _ => APPEND_ONLY_SQLITE,
        };
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("revoked_token")
                    .if_not_exists()
                    .col(string_len("jti", 64).primary_key())
                    .col(integer("staff_id"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone("revoked_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("login_throttle")
                    .if_not_exists()
                    .col(string_len("username", 64).primary_key())
                    .col(integer("failures"))
                    .col(timestamp_with_time_zone("window_start"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("api_key")
                    .if_not_exists()
                    .col(pk_auto("id"))
                    .col(integer("staff_id"))
                    .col(string("name"))
                    .col(string_len("prefix", 16))
                    .col(string_len_uniq("key_hash", 64))
                    .col(integer("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .foreign_key(
                        ForeignKey::create().name("fk_api_key_staff_id").from("api_key", "staff_id").to("staff", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_key_created_by")
                            .from("api_key", "created_by")
                            .to("staff", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ix_api_key_staff_id").table("api_key").col("staff_id").to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("lead_share")
                    .if_not_exists()
                    .col(pk_auto("id"))
                    .col(integer("lead_id"))
                    .col(integer("store_id"))
                    .col(integer("shared_by"))
                    .col(timestamp_with_time_zone("shared_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_lead_share_lead_id")
                            .from("lead_share", "lead_id")
                            .to("lead", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_lead_share_store_id")
                            .from("lead_share", "store_id")
                            .to("store", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_lead_share_shared_by")
                            .from("lead_share", "shared_by")
                            .to("staff", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_lead_share_lead_id_store_id")
                    .table("lead_share")
                    .col("lead_id")
                    .col("store_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ix_lead_share_store_id").table("lead_share").col("store_id").to_owned())
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["lead_share", "api_key", "login_throttle", "revoked_token", "audit_log"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        if manager.get_database_backend() == DbBackend::Postgres {
            manager.get_connection().execute_unprepared("DROP FUNCTION IF EXISTS audit_log_append_only()").await?;
        }
        Ok(())
    }
}
