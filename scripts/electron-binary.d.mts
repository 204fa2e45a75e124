export function electronBinary(): string | null;
export function electronVersion(): string;
