//! `user …`: managing the users of this terminal (admin), and `settings …`
//! for the security and backup settings.

use super::{Ctx, ENV_NEW_PIN, print_json, read_pin};
use crate::auth::{Role, settings, users};
use crate::error::Failure;
use crate::i18n::Lang;

#[derive(Debug, clap::Subcommand)]
pub enum UserCmd {
    /// Adds a user (new PIN from DOWNTIME_BILLING_NEW_PIN or a prompt).
    Add {
        name: String,
        /// cashier, pharmacist, finance, admin; several separated by commas.
        #[arg(long, value_name = "ROLE[,ROLE…]")]
        role: String,
        #[arg(long)]
        json: bool,
    },
    /// Disables a user: they can no longer log in; their records stay.
    Disable {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Enables a disabled user again.
    Enable {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Sets a new PIN (from DOWNTIME_BILLING_NEW_PIN or a prompt) and lifts a lock-out.
    ResetPin {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Replaces a user's roles.
    Roles {
        name: String,
        #[arg(long, value_name = "ROLE[,ROLE…]")]
        role: String,
        #[arg(long)]
        json: bool,
    },
    /// Lists the users (never their PIN hashes).
    List {
        #[arg(long)]
        json: bool,
    },
}

fn show(ctx: &Ctx, u: &users::UserInfo, json: bool, zh: &str, en: &str) -> Result<(), Failure> {
    if json {
        return print_json(u);
    }
    println!(
        "{} {}（{}）",
        ctx.lang.pick(zh, en),
        u.name,
        u.roles.join(",")
    );
    Ok(())
}

pub fn run(ctx: &Ctx, cmd: UserCmd) -> Result<(), Failure> {
    let mut store = ctx.open_store()?;
    let session = ctx.session(&mut store)?;
    let new_pin = |ctx: &Ctx| {
        read_pin(
            ENV_NEW_PIN,
            ctx.lang.pick("新用户的 PIN：", "New user's PIN: "),
        )
    };
    match cmd {
        UserCmd::Add { name, role, json } => {
            let roles = Role::parse_list(&role)?;
            // Check the role before asking for a PIN nobody may set.
            session.require(Role::Admin, "add users")?;
            let pin = new_pin(ctx)?;
            let u = users::add_user(&mut store, &session, &ctx.clock, &name, &roles, &pin)?;
            show(ctx, &u, json, "已添加用户", "added user")
        }
        UserCmd::Disable { name, json } => {
            let u = users::set_access(
                &mut store,
                &session,
                &ctx.clock,
                &name,
                users::Access::Disabled,
            )?;
            show(ctx, &u, json, "已停用用户", "disabled user")
        }
        UserCmd::Enable { name, json } => {
            let u = users::set_access(
                &mut store,
                &session,
                &ctx.clock,
                &name,
                users::Access::Enabled,
            )?;
            show(ctx, &u, json, "已启用用户", "enabled user")
        }
        UserCmd::ResetPin { name, json } => {
            session.require(Role::Admin, "reset PINs")?;
            let pin = read_pin(ENV_NEW_PIN, ctx.lang.pick("新 PIN：", "New PIN: "))?;
            let u = users::reset_pin(&mut store, &session, &ctx.clock, &name, &pin)?;
            show(ctx, &u, json, "已重置 PIN：", "PIN reset for")
        }
        UserCmd::Roles { name, role, json } => {
            let roles = Role::parse_list(&role)?;
            let u = users::set_roles(&mut store, &session, &ctx.clock, &name, &roles)?;
            show(ctx, &u, json, "已更改角色：", "roles changed for")
        }
        UserCmd::List { json } => {
            let list = users::list_users(store.conn(), &session)?;
            if json {
                return print_json(&list);
            }
            let now = crate::clock::Clock::now(&ctx.clock);
            for u in &list {
                let mut state = Vec::new();
                if u.disabled {
                    state.push(ctx.lang.pick("已停用", "disabled").to_string());
                }
                if u.is_locked(now) {
                    state.push(format!(
                        "{} {}",
                        ctx.lang.pick("锁定至", "locked until"),
                        u.locked_until.as_deref().unwrap_or_default()
                    ));
                }
                println!("{}\t{}\t{}", u.name, u.roles.join(","), state.join(", "));
            }
            Ok(())
        }
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum SettingsCmd {
    /// The security and backup settings and their values in force.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Changes one (admin): auth.lockout_minutes, ui.idle_lock_minutes,
    /// backup.dir, backup.keep, backup.every_receipts, backup.max_age_hours,
    /// print.layout, print.command, shift.variance_limit.
    Set { key: String, value: String },
}

pub fn run_settings(ctx: &Ctx, cmd: SettingsCmd) -> Result<(), Failure> {
    let mut store = ctx.open_store()?;
    match cmd {
        SettingsCmd::List { json } => {
            let session = ctx.session(&mut store)?;
            let list = settings::list(store.conn(), &session, ctx.lang)?;
            if json {
                return print_json(&list);
            }
            for s in list {
                println!("{} = {}\t# {}", s.key, s.value, s.description);
            }
            Ok(())
        }
        SettingsCmd::Set { key, value } => {
            let session = ctx.session(&mut store)?;
            let v = settings::set(&mut store, &session, &ctx.clock, &key, &value)?;
            match ctx.lang {
                Lang::Zh => println!("已设置 {key} = {v}"),
                Lang::En => println!("set {key} = {v}"),
            }
            Ok(())
        }
    }
}
