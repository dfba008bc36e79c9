// The Partner Hub console: one page app over the same API and tokens as curl.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { getToken, onAuthChange } from "./auth";
import { interceptLinks, match, navigate, useLocation } from "./router";
import { SignIn, Callback } from "./views/signin";
import { OrgPicker } from "./views/orgs";
import { OrgFrame } from "./views/frame";
import { exposeCharts } from "./charts";

function App() {
  const { path, search } = useLocation();
  const [, setAuthTick] = useState(0);
  useEffect(() => onAuthChange(() => setAuthTick((t) => t + 1)), []);
  const signedIn = getToken() !== null;

  if (path === "/sign-in") return <SignIn next={search.get("next")} />;
  if (path === "/callback") return <Callback />;
  if (!signedIn) {
    return <SignIn next={path + location.search} />;
  }
  if (path === "/" || path === "/orgs") return <OrgPicker />;
  // The dashboard link of emails sent before the console existed.
  const legacy = match("/partners/:org/customers", path);
  if (legacy) {
    navigate(`/orgs/${legacy.org}/customers`, true);
    return null;
  }
  const org = path.match(/^\/orgs\/(\d{8})(\/.*)?$/);
  if (org) return <OrgFrame orgId={org[1]} rest={org[2] ?? ""} />;
  return (
    <main class="page narrow">
      <h1>Page not found</h1>
      <p>
        <a href="/orgs">Go to your organizations</a>
      </p>
    </main>
  );
}

interceptLinks();
exposeCharts();
render(<App />, document.getElementById("app")!);
