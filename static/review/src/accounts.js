// Accounts (账号): the users of the caller's area, adding one with a role the caller may give,
// and deactivating or reactivating (deactivation revokes their sign-ins at once).
import { ApiError, get, post, request } from "./api.js";
import { t } from "./i18n.js";
import { el } from "./dom.js";

// Which roles each role may create (the server checks the same: patrol/auth/service.py).
const MAY_CREATE = {
  admin: ["worker", "community_admin", "street_reviewer", "department", "admin"],
  street_reviewer: ["worker", "community_admin", "department"],
  community_admin: ["worker"],
};
// The area level a role is bound to, and which areas of the review context fit it.
const AREA_OF = { worker: "grids", community_admin: "communities", street_reviewer: "streets", department: "streets", admin: null };


export function mayManageAccounts(role) {
  return role in MAY_CREATE;
}

/** Render the accounts panel into `container`. */
export async function showAccounts(container, context, { flash }) {
  const users = await get("/api/v1/users");
  const departments = await get("/api/v1/incidents/departments").catch(() => []);
  const table = el(
    "table",
    { class: "accounts", "data-testid": "accounts" },
    el("thead", {}, el("tr", {}, [t("accounts.name"), t("accounts.username"), t("accounts.role"), t("accounts.area"), t("accounts.state"), ""].map((h) => el("th", {}, h)))),
    el(
      "tbody",
      {},
      users.map((user) =>
        el(
          "tr",
          { "data-user": user.username, class: user.active ? "" : "inactive" },
          el("td", {}, user.full_name),
          el("td", {}, user.username),
          el("td", {}, t(`role.${user.role}`)),
          el("td", {}, user.area_name || t("accounts.wholeCity")),
          el("td", {}, user.active ? t("accounts.active") : t("accounts.inactive")),
          el(
            "td",
            {},
            user.id === context.user.id
              ? null
              : el("button", { type: "button", "data-toggle": user.username, onclick: () => toggle(user, container, context, flash) }, user.active ? t("accounts.deactivate") : t("accounts.reactivate")),
          ),
        ),
      ),
    ),
  );
  container.replaceChildren(createForm(container, context, departments, flash), el("h3", {}, t("accounts.title")), table);
}

async function toggle(user, container, context, flash) {
  if (user.active && !window.confirm(t("accounts.confirmDeactivate", { name: user.full_name }))) return;
  try {
    await request("PATCH", `/api/v1/users/${user.id}`, { json: { active: !user.active } });
    flash(user.active ? t("accounts.deactivated", { name: user.full_name }) : t("accounts.reactivated", { name: user.full_name }));
  } catch (error) {
    flash(error instanceof ApiError ? error.message : String(error), true);
  }
  await showAccounts(container, context, { flash });
}

function createForm(container, context, departments, flash) {
  const roles = MAY_CREATE[context.user.role] || [];
  const role = el("select", { name: "role" }, roles.map((r) => el("option", { value: r }, t(`role.${r}`))));
  const area = el("select", { name: "area_code" });
  const department = el("select", { name: "department_id" }, departments.map((d) => el("option", { value: d.id }, d.name)));
  const departmentLabel = el("label", {}, t("accounts.department"), department);
  const fillAreas = () => {
    const key = AREA_OF[role.value];
    const areas = key ? context[key] || [] : [];
    area.replaceChildren(...(key ? [] : [el("option", { value: "" }, t("accounts.wholeCity"))]), ...areas.map((a) => el("option", { value: a.code }, a.name)));
    departmentLabel.hidden = role.value !== "department";
  };
  role.addEventListener("change", fillAreas);
  fillAreas();
  const username = el("input", { name: "username", required: true, pattern: "[A-Za-z0-9_.\\-]{3,64}", autocomplete: "off" });
  const fullName = el("input", { name: "full_name", required: true, maxlength: 100 });
  const password = el("input", { name: "password", type: "password", required: true, minlength: 8, autocomplete: "new-password" });
  const problem = el("p", { class: "error" });
  const form = el(
    "form",
    { class: "account-form", "data-testid": "new-account" },
    el("h3", {}, t("accounts.add")),
    el("label", {}, t("accounts.name"), fullName),
    el("label", {}, t("accounts.username"), username),
    el("label", {}, t("accounts.role"), role),
    el("label", {}, t("accounts.area"), area),
    departmentLabel,
    el("label", {}, t("accounts.password"), password),
    problem,
    el("button", { type: "submit", class: "primary" }, t("accounts.create")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { username: username.value.trim(), full_name: fullName.value.trim(), role: role.value, password: password.value };
    if (area.value) body.area_code = area.value;
    if (role.value === "department") body.department_id = Number(department.value);
    try {
      await post("/api/v1/users", body);
      flash(t("accounts.created", { name: body.full_name }));
      await showAccounts(container, context, { flash });
    } catch (error) {
      problem.textContent = error instanceof ApiError ? error.message : String(error);
    }
  });
  return form;
}
