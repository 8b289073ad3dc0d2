import { sweepTestDomainsSync } from "./sweep";

export default function globalTeardown(): void {
  // Tests undefine their own domains; this catches the ones a failed test could not.
  sweepTestDomainsSync(true);
}
