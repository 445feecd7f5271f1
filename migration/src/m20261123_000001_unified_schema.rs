//! The unified customer schema: organization, golden customer record, contact points,
//! store relationships, source records, vehicles, sales, service, insurance and parts.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `CREATE INDEX` on `table(columns)`, named after them.
fn index(table: &'static str, columns: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(format!("ix_{}_{}", table, columns.join("_"))).table(table).if_not_exists();
    for col in columns {
        stmt.col(*col);
    }
    if unique {
        stmt.unique();
    }
    stmt
}

/// A foreign key from `table.column` to `target.id`.
fn fk(table: &'static str, column: &'static str, target: &'static str) -> ForeignKeyCreateStatement {
    let mut stmt = ForeignKey::create();
    stmt.name(format!("fk_{table}_{column}")).from(table, column).to(target, "id");
    stmt
}

fn tables() -> Vec<(TableCreateStatement, Vec<IndexCreateStatement>)> {
    vec![
        (
            Table::create()
                .table("store")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_len_uniq("code", 32))
                .col(string("name"))
                .col(json("brands"))
                .col(string_len("city", 64))
                .col(string_len("kind", 24))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
            vec![],
        ),
        (
            Table::create()
                .table("staff")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_len_uniq("username", 64))
                .col(string("password_hash"))
                .col(string("display_name"))
                .col(integer_null("store_id"))
                .col(string_len("department", 24))
                .col(string_len("role", 24))
                .col(boolean("active"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("staff", "store_id", "store"))
                .to_owned(),
            vec![index("staff", &["store_id"], false)],
        ),
        (
            Table::create()
                .table("customer")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_len("kind", 24))
                .col(string("name"))
                .col(string_len_null("gender", 24))
                .col(date_null("birthday"))
                .col(string_len_null("id_number", 32))
                .col(string_len_null("id_number_hash", 64))
                .col(string_null("address"))
                .col(string_len_null("city", 64))
                .col(text_null("notes"))
                .col(string_len("lifecycle_stage", 24))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(integer("version"))
                .col(integer_null("merged_into"))
                .foreign_key(&mut fk("customer", "merged_into", "customer"))
                .to_owned(),
            vec![
                index("customer", &["id_number_hash"], false),
                index("customer", &["name"], false),
                index("customer", &["merged_into"], false),
            ],
        ),
        (
            Table::create()
                .table("customer_tag")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("customer_id"))
                .col(string_len("tag", 64))
                .foreign_key(&mut fk("customer_tag", "customer_id", "customer"))
                .to_owned(),
            vec![index("customer_tag", &["customer_id", "tag"], true), index("customer_tag", &["tag"], false)],
        ),
        (
            Table::create()
                .table("contact_point")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("customer_id"))
                .col(string_len("kind", 24))
                .col(string("value"))
                .col(string("normalized"))
                .col(boolean("is_primary"))
                .foreign_key(&mut fk("contact_point", "customer_id", "customer"))
                .to_owned(),
            vec![
                index("contact_point", &["customer_id"], false),
                index("contact_point", &["normalized", "kind"], false),
            ],
        ),
        (
            Table::create()
                .table("customer_store")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("customer_id"))
                .col(integer("store_id"))
                .col(string_len("status", 24))
                .col(integer_null("manager_id"))
                .col(date("first_contact_on"))
                .col(string_len_null("source_channel", 64))
                .foreign_key(&mut fk("customer_store", "customer_id", "customer"))
                .foreign_key(&mut fk("customer_store", "store_id", "store"))
                .foreign_key(&mut fk("customer_store", "manager_id", "staff"))
                .to_owned(),
            vec![
                index("customer_store", &["customer_id", "store_id"], true),
                index("customer_store", &["store_id", "customer_id"], false),
                index("customer_store", &["manager_id"], false),
            ],
        ),
        (
            Table::create()
                .table("source_record")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_len("system", 24))
                .col(integer("store_id"))
                .col(string_len("external_id", 128))
                .col(integer("customer_id"))
                .col(json("payload"))
                .col(timestamp_with_time_zone("first_seen_at"))
                .col(timestamp_with_time_zone("last_seen_at"))
                .foreign_key(&mut fk("source_record", "store_id", "store"))
                .foreign_key(&mut fk("source_record", "customer_id", "customer"))
                .to_owned(),
            vec![
                index("source_record", &["system", "store_id", "external_id"], true),
                index("source_record", &["customer_id"], false),
            ],
        ),
        (
            Table::create()
                .table("vehicle")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_len_uniq("vin", 17))
                .col(string_len_null("plate", 16))
                .col(string_len_null("plate_normalized", 16))
                .col(string_len("brand", 64))
                .col(string_len("model", 64))
                .col(integer_null("model_year"))
                .col(string_len_null("colour", 32))
                .col(date_null("purchase_date"))
                .col(integer_null("selling_store_id"))
                .col(integer_null("last_mileage"))
                .foreign_key(&mut fk("vehicle", "selling_store_id", "store"))
                .to_owned(),
            vec![index("vehicle", &["plate_normalized"], false)],
        ),
        (
            Table::create()
                .table("vehicle_ownership")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("vehicle_id"))
                .col(integer("customer_id"))
                .col(string_len("role", 24))
                .col(date("from_date"))
                .col(date_null("to_date"))
                .foreign_key(&mut fk("vehicle_ownership", "vehicle_id", "vehicle"))
                .foreign_key(&mut fk("vehicle_ownership", "customer_id", "customer"))
                .to_owned(),
            vec![
                index("vehicle_ownership", &["vehicle_id"], false),
                index("vehicle_ownership", &["customer_id"], false),
            ],
        ),
        (
            Table::create()
                .table("lead")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("store_id"))
                .col(integer("customer_id"))
                .col(string_len("grade", 24))
                .col(string_len_null("intended_model", 64))
                .col(big_integer_null("budget_cents"))
                .col(string_len_null("channel", 64))
                .col(string_len("status", 24))
                .col(string_null("defeat_reason"))
                .col(integer_null("owner_id"))
                .col(timestamp_with_time_zone_null("next_follow_up_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("lead", "store_id", "store"))
                .foreign_key(&mut fk("lead", "customer_id", "customer"))
                .foreign_key(&mut fk("lead", "owner_id", "staff"))
                .to_owned(),
            vec![
                index("lead", &["customer_id"], false),
                index("lead", &["store_id", "status"], false),
                index("lead", &["owner_id"], false),
            ],
        ),
        (
            Table::create()
                .table("delivery")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("vehicle_id"))
                .col(integer("customer_id"))
                .col(integer("store_id"))
                .col(integer_null("consultant_id"))
                .col(date("delivered_on"))
                .col(big_integer("price_cents"))
                .col(string_len("payment", 24))
                .foreign_key(&mut fk("delivery", "vehicle_id", "vehicle"))
                .foreign_key(&mut fk("delivery", "customer_id", "customer"))
                .foreign_key(&mut fk("delivery", "store_id", "store"))
                .foreign_key(&mut fk("delivery", "consultant_id", "staff"))
                .to_owned(),
            vec![
                index("delivery", &["customer_id"], false),
                index("delivery", &["vehicle_id"], false),
                index("delivery", &["store_id", "delivered_on"], false),
            ],
        ),
        (
            Table::create()
                .table("repair_order")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("store_id"))
                .col(integer("vehicle_id"))
                .col(integer("customer_id"))
                .col(integer_null("advisor_id"))
                .col(string_len("kind", 24))
                .col(integer_null("mileage"))
                .col(timestamp_with_time_zone("opened_at"))
                .col(timestamp_with_time_zone_null("closed_at"))
                .col(big_integer("amount_cents"))
                .foreign_key(&mut fk("repair_order", "store_id", "store"))
                .foreign_key(&mut fk("repair_order", "vehicle_id", "vehicle"))
                .foreign_key(&mut fk("repair_order", "customer_id", "customer"))
                .foreign_key(&mut fk("repair_order", "advisor_id", "staff"))
                .to_owned(),
            vec![
                index("repair_order", &["customer_id"], false),
                index("repair_order", &["vehicle_id"], false),
                index("repair_order", &["store_id", "opened_at"], false),
            ],
        ),
        (
            Table::create()
                .table("insurance_policy")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("store_id"))
                .col(integer("vehicle_id"))
                .col(integer("customer_id"))
                .col(string_len("insurer", 64))
                .col(string_len("coverage", 128))
                .col(big_integer("premium_cents"))
                .col(date("starts_on"))
                .col(date("ends_on"))
                .col(integer_null("renewal_of"))
                .foreign_key(&mut fk("insurance_policy", "store_id", "store"))
                .foreign_key(&mut fk("insurance_policy", "vehicle_id", "vehicle"))
                .foreign_key(&mut fk("insurance_policy", "customer_id", "customer"))
                .foreign_key(&mut fk("insurance_policy", "renewal_of", "insurance_policy"))
                .to_owned(),
            vec![
                index("insurance_policy", &["customer_id"], false),
                index("insurance_policy", &["vehicle_id"], false),
                index("insurance_policy", &["store_id", "ends_on"], false),
                index("insurance_policy", &["renewal_of"], false),
            ],
        ),
        (
            Table::create()
                .table("parts_order")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("store_id"))
                .col(integer("customer_id"))
                .col(integer_null("vehicle_id"))
                .col(json("items"))
                .col(big_integer("amount_cents"))
                .col(date("ordered_on"))
                .foreign_key(&mut fk("parts_order", "store_id", "store"))
                .foreign_key(&mut fk("parts_order", "customer_id", "customer"))
                .foreign_key(&mut fk("parts_order", "vehicle_id", "vehicle"))
                .to_owned(),
            vec![
                index("parts_order", &["customer_id"], false),
                index("parts_order", &["store_id", "ordered_on"], false),
            ],
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, indexes) in tables() {
            manager.create_table(table).await?;
            for ix in indexes {
                manager.create_index(ix).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, _) in tables().into_iter().rev() {
            let name = table.get_table_name().cloned().expect("named table");
            manager.drop_table(Table::drop().table(name).to_owned()).await?;
        }
        Ok(())
    }
}
