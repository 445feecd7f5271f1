use entity::enums::{Department, Role};

/// The authenticated caller of one request, as the database knows them now.
#[derive(Debug, Clone)]
pub struct Actor {
    pub staff_id: i32,
    pub username: String,
    pub role: Role,
    pub store_id: Option<i32>,
    pub department: Department,
    /// The id of the token this request came with (`apikey:<id>` for API keys).
    pub token_id: String,
    /// When that token expires; `None` for API keys.
    pub token_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Actor {
    pub fn from_staff(
        staff: &entity::staff::Model,
        token_id: String,
        token_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Self {
        Self {
            staff_id: staff.id,
            username: staff.username.clone(),
            role: staff.role,
            store_id: staff.store_id,
            department: staff.department,
            token_id,
            token_expires_at,
        }
    }
}
