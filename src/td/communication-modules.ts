// The learned communication modules that each method needs: encoders E_g, E_h map
// {s; e} to a message, decoders D_g, D_h map a message back to {s; e}.
//   td:      E_g, E_h, D_g, D_h
//   fd:      E_g, E_h (hybrid too)
//   fitnet:  D_g only, whose input is the teacher's raw {s_h; e_h} (E_h is the identity)
//   scratch, ld: none

import { CommunicationDecoder, CommunicationEncoder } from '../models/communication.js';
import type { Module } from '../nn/module.js';
import type { Rng } from '../util/rng.js';
import type { DistillConfig } from './config.js';
import type { StateLayout } from './state.js';

export interface CommunicationModules {
  /** E_g */
  studentEncoder: CommunicationEncoder | null;
  /** E_h (the same object as E_g with sharedCommunication) */
  teacherEncoder: CommunicationEncoder | null;
  /** D_g */
  studentDecoder: CommunicationDecoder | null;
  /** D_h (the same object as D_g with sharedCommunication) */
  teacherDecoder: CommunicationDecoder | null;
  /** Each distinct module once, by its state-dict prefix. */
  named: [string, Module][];
}

function checkShareable(student: StateLayout, teacher: StateLayout): void {
  const sd = student.decodedDims;
  const td = teacher.decodedDims;
  if (student.jointDim !== teacher.jointDim || sd.s !== td.s || sd.e !== td.e) {
    throw new Error(
      `sharedCommunication: student states {s: ${sd.s}, e: ${sd.e}} and teacher states {s: ${td.s}, e: ${td.e}} differ; ` +
        'one shared encoder/decoder pair needs equal state dims (set sharedCommunication: false)',
    );
  }
}

/** Creates the communication modules of `config.method`, initialized from `rng`. */
export function createCommunicationModules(
  config: DistillConfig,
  studentLayout: StateLayout,
  teacherLayout: StateLayout,
  rng: Rng,
): CommunicationModules {
  const options = { dropout: config.dropout, rng };
  const encoderFor = (layout: StateLayout) => new CommunicationEncoder(layout.jointDim, config.hiddenDim, config.messageDim, options);
  const decoderFor = (layout: StateLayout, inDim = config.messageDim) => {
    const dims = layout.decodedDims;
    return new CommunicationDecoder(inDim, config.hiddenDim, { sDim: dims.s, eDim: dims.e }, options);
  };
  const modules: CommunicationModules = {
    studentEncoder: null,
    teacherEncoder: null,
    studentDecoder: null,
    teacherDecoder: null,
    named: [],
  };
  const method = config.method;
  const shared = config.sharedCommunication && method !== 'fitnet';
  if (shared && method !== 'scratch' && method !== 'ld') checkShareable(studentLayout, teacherLayout);

  if (method === 'td' || method === 'fd' || method === 'hybrid') {
    modules.studentEncoder = encoderFor(studentLayout);
    modules.teacherEncoder = shared ? modules.studentEncoder : encoderFor(teacherLayout);
  }
  if (method === 'td') {
    modules.studentDecoder = decoderFor(studentLayout);
    modules.teacherDecoder = shared ? modules.studentDecoder : decoderFor(teacherLayout);
  }
  if (method === 'fitnet') modules.studentDecoder = decoderFor(studentLayout, teacherLayout.jointDim);

  if (shared) {
    if (modules.studentEncoder !== null) modules.named.push(['sharedEncoder', modules.studentEncoder]);
    if (modules.studentDecoder !== null) modules.named.push(['sharedDecoder', modules.studentDecoder]);
  } else {
    const entries: [string, Module | null][] = [
      ['studentEncoder', modules.studentEncoder],
      ['teacherEncoder', modules.teacherEncoder],
      ['studentDecoder', modules.studentDecoder],
      ['teacherDecoder', modules.teacherDecoder],
    ];
    for (const [name, module] of entries) if (module !== null) modules.named.push([name, module]);
  }
  return modules;
}
