import { Page } from "../app/page";

/** Administration happens in the Django admin; this page links to it. */
export function AdminPage() {
  return (
    <Page title="Administration">
      <p>Users, roles, reading projects and every stored record are managed in the Django admin.</p>
      <p>
        <a href="/admin/" className="button-link">
          Open the Django admin
        </a>
      </p>
    </Page>
  );
}
