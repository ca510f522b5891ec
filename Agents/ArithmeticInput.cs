namespace GridTime.Agents;

/// <summary>
/// What the NAC (or NALU) of the nac and nalu agents reads. The paper (Trask et al. 2018, section 4.5) says the
/// instruction is passed to the LSTM directly and also through a NAC and back into the LSTM; it does not name
/// h(t−1) as an input of the NAC.
/// </summary>
public enum ArithmeticInput
{
    /// <summary>[T, h(t−1)]: the unit can combine T with the LSTM's state (GridTime's default reading).</summary>
    InstructionAndState,

    /// <summary>[T] alone: the unit's output is a learned linear (NAC) or multiplicative (NALU) function of T.</summary>
    Instruction,
}
