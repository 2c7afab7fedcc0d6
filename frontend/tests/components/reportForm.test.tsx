// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ReportPayload } from "../../src/api/types";
import { ApiError } from "../../src/api/client";
import { ReportForm } from "../../src/reading/ReportForm";

afterEach(cleanup);

describe("ReportForm", () => {
  it("refuses an empty report with a message and sends nothing", async () => {
    const onSubmit = vi.fn(() => Promise.resolve());
    render(<ReportForm onSubmit={onSubmit} />);
    fireEvent.click(screen.getByRole("button", { name: "Submit report" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Write the findings or the impression");
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("sends the text and the 14 labels, then locks the report", async () => {
    const sent: ReportPayload[] = [];
    render(<ReportForm onSubmit={async (r) => void sent.push(r)} />);
    fireEvent.change(screen.getByRole("textbox", { name: "Findings" }), { target: { value: "Clear lungs." } });
    fireEvent.change(screen.getByRole("combobox", { name: "Pleural Effusion" }), { target: { value: "absent" } });
    fireEvent.click(screen.getByRole("button", { name: "Submit report" }));
    expect(await screen.findByText("Submitted: this report is locked.")).toBeInTheDocument();
    expect(sent).toHaveLength(1);
    expect(sent[0].findings).toBe("Clear lungs.");
    expect(Object.keys(sent[0].labels)).toHaveLength(14);
    expect(sent[0].labels["Pleural Effusion"]).toBe("absent");
    expect(screen.getByRole("textbox", { name: "Findings" })).toHaveAttribute("readonly");
    expect(screen.getByRole("combobox", { name: "Pleural Effusion" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Submitted" })).toBeDisabled();
  });

  it("keeps the text and says why when the server refuses", async () => {
    render(<ReportForm onSubmit={() => Promise.reject(new ApiError(409, { detail: "this session is closed" }))} />);
    fireEvent.change(screen.getByRole("textbox", { name: "Impression" }), { target: { value: "Normal." } });
    fireEvent.click(screen.getByRole("button", { name: "Submit report" }));
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("Not saved: this session is closed"));
    expect(screen.getByRole("textbox", { name: "Impression" })).toHaveValue("Normal.");
    expect(screen.getByRole("button", { name: "Submit report" })).toBeEnabled();
  });
});
