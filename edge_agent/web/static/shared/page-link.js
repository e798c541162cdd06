// A staff page's link to the branch broker, the same on the teller console, the lobby
// manager's tablet, the RM workbench and the rating screen: connect with the role's
// credentials, keep the connection chip and <body data-connection> in step, remember the
// credentials once the broker took them, and when the broker ends the link for good
// (refused, not allowed, taken over) say why on the page's sign-in screen.
import { Bus, FINAL_STATES } from "./bus.js";
import { connectionChip, endedWords } from "./status.js";

export class PageLink {
  // role: the broker role the page signs in as; options(): extra Bus options (clientId,
  // persistent), asked at each connection; onBus(bus): the page's own handle on the new connection; onConnected(bus)
  // and onEnded(state): what the page shows then.
  constructor({ role, chip, topics, onMessage, options = () => ({}), onBus = () => {}, onConnected = () => {}, onEnded = () => {} }) {
    Object.assign(this, { role, topics, onMessage, options, onBus, onConnected, onEnded });
    this.showConnection = connectionChip(chip);
    this.bus = null;
    this.login = null;  // the page's loginScreen, set once it exists (it calls connect())
  }

  connect(credentials) {
    if (this.bus) this.bus.close();
    this.bus = new Bus({
      username: credentials.username, password: credentials.password, topics: this.topics, onMessage: this.onMessage,
      ...this.options(),
      onState: (state, which) => {
        if (which !== this.bus) return;  // a connection being replaced
        this.showConnection(state, which);
        document.body.dataset.connection = state;
        if (state === "connected") {
          this.login.succeeded(credentials);
          this.onConnected(which);
        } else if (FINAL_STATES.has(state) && state !== "closed") {
          this.onEnded(state);
          this.login.show(() => endedWords(state, this.role));
        }
      },
    });
    this.onBus(this.bus);
    window.lobby = { bus: this.bus };  // for a technician's console and the latency benches
  }
}
