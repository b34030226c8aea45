// The node's users by id (GET /api/web/users, supervisors only), to show a name where the API
// gives an id. Without the permission (or on an older node) ids stay as they are.
import { get } from "./api.js";

let loading = null;

export function loadUsers() {
  if (!loading) {
    loading = get("/api/web/users").catch(() => []);
  }
  return loading;
}

export async function userNames() {
  const names = new Map();
  for (const u of await loadUsers()) names.set(u.id, u.full_name ? `${u.full_name} (${u.username})` : u.username);
  return (id) => (id ? names.get(id) || id : "—");
}
