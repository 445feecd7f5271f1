use entity::enums::{Department, Role};

/// The authenticated caller of one request, as the database knows them now.
#[derive(Debug, Clone)]
pub struct Actor {
    pub staff_id: i32,
    pub username: String,
    pub role: Role,
    pub store_id: Option<i32>,
    pub department: Department,
    /// The id of the token this request came with.
    pub token_id: String,
}

impl Actor {
    pub fn from_staff(staff: &entity::staff::Model, token_id: String) -> Self {
        Self {
            staff_id: staff.id,
            username: staff.username.clone(),
            role: staff.role,
            store_id: staff.store_id,
            department: staff.department,
            token_id,
        }
    }
}
