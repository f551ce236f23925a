"""What the simulator does wrong on purpose: injected request faults, hostile corporate actions."""
